// Shared by the tests: a real agentwire server (the golden path example in
// `--serve` mode), a TCP proxy in front of it that a test can cut, and
// real tokens from the server's `/demo-token`.
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../../..");
export const SECRET = "node-test-secret";

let binary;

/** The golden path example's binary, built once (`AGENTWIRE_GOLDEN_PATH` overrides). */
export function goldenPathBinary() {
  if (process.env.AGENTWIRE_GOLDEN_PATH) return process.env.AGENTWIRE_GOLDEN_PATH;
  if (!binary) {
    execFileSync("cargo", ["build", "--quiet", "--example", "golden_path"], { cwd: repoRoot, stdio: "inherit" });
    binary = join(repoRoot, "target/debug/examples/golden_path");
    if (!existsSync(binary)) throw new Error(`cargo built no ${binary}`);
  }
  return binary;
}

/**
 * Starts `golden_path --serve` on a free loopback port; resolves once it
 * prints its address.
 */
export async function startServer(secret = SECRET) {
  const child = spawn(goldenPathBinary(), ["--serve", "--addr", "127.0.0.1:0", "--jwt-secret", secret], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const lines = createInterface({ input: child.stdout });
  const httpUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server printed no address in 60 s")), 60_000);
    lines.on("line", (line) => {
      const match = /^demo page: (http:\/\/\S+)\/$/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    exited.then(({ code }) => reject(new Error(`the server exited (${code}) before serving`)));
  });
  const port = Number(new URL(httpUrl).port);
  return {
    httpUrl,
    port,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    /** SIGTERM, as an operator would: runs end, tabs get 1001. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** A real token from the server (through whichever address is given). */
export async function demoToken(httpUrl, user) {
  const response = await fetch(`${httpUrl}/demo-token?user=${encodeURIComponent(user)}`);
  if (!response.ok) throw new Error(`demo-token: HTTP ${response.status}`);
  return (await response.json()).token;
}

/**
 * A TCP proxy on loopback to `targetPort`: `block()` drops every
 * connection through it (as a network failure does: no close frame) and
 * refuses new ones until `unblock()`; `retarget(port)` sends new ones
 * elsewhere (a restarted server).
 */
export async function startProxy(targetPort) {
  let target = targetPort;
  let blocked = false;
  const sockets = new Set();
  const server = net.createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = server.address().port;
  return {
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    block() {
      blocked = true;
      for (const s of sockets) s.destroy();
    },
    unblock() {
      blocked = false;
    },
    retarget(port) {
      target = port;
    },
    get open() {
      return sockets.size;
    },
    async close() {
      this.block();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Resolves when `predicate()` holds, polling; rejects after `ms`. */
export async function until(predicate, what, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A user name no other test uses, so that each test has its own stream. */
export function freshUser(label) {
  return `${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
