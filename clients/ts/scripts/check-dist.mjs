// Type-checks src/ and fails when the checked-in dist/ is not what `npm run
// build` makes from it (the demo page and users load dist/ as it is).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = mkdtempSync(join(tmpdir(), "agentwire-dist-"));
try {
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json"), "--outDir", out], {
    stdio: "inherit",
  });
  const built = readdirSync(out).sort();
  const checkedIn = readdirSync(join(root, "dist")).sort();
  const stale = [...new Set([...built, ...checkedIn])].filter((name) => {
    try {
      return readFileSync(join(out, name), "utf8") !== readFileSync(join(root, "dist", name), "utf8");
    } catch {
      return true;
    }
  });
  if (stale.length > 0) {
    console.error(`clients/ts/dist is out of date (${stale.join(", ")}): run \`npm run build\` in clients/ts and commit dist/.`);
    process.exit(1);
  }
  console.log(`dist/ is current (${built.length} files)`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
