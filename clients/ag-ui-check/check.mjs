// Validates AG-UI event streams captured by tests/ag_ui.rs against
// @ag-ui/core's own zod schemas (every event) and @ag-ui/client's
// verifyEvents (the sequence rules).
//
//   node check.mjs captured.json
//
// captured.json: {"<scenario>": [<event>, ...], ...}. Prints one line per
// scenario and exits non-zero if any event or sequence is refused.
import { readFileSync } from "node:fs";
import { EventSchemas } from "@ag-ui/core/schemas";
import { verifyEvents } from "@ag-ui/client";
import { from, lastValueFrom, toArray } from "rxjs";

const runs = JSON.parse(readFileSync(process.argv[2], "utf8"));
let failed = 0;
for (const [name, events] of Object.entries(runs)) {
  const problems = [];
  events.forEach((event, i) => {
    const parsed = EventSchemas.safeParse(event);
    if (!parsed.success) {
      problems.push(`event ${i} (${event.type}): ${parsed.error.message}`);
    }
  });
  try {
    await lastValueFrom(from(events).pipe(verifyEvents(false), toArray()));
  } catch (e) {
    problems.push(`sequence: ${e.message}`);
  }
  if (problems.length) {
    failed++;
    console.log(`FAIL ${name}: ${problems.join("; ")}`);
  } else {
    console.log(`ok ${name}: ${events.length} events`);
  }
}
console.log(`${Object.keys(runs).length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
