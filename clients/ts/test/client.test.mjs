// The browser client against a real agentwire server (the golden path
// example), over real sockets with real JWTs. Needs a global WebSocket:
// `node --experimental-websocket --test` on Node.js 20 (`npm test`).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";

import { AgentwireClient, backoffDelay } from "../dist/agentwire.js";
import { demoToken, freshUser, SECRET, startProxy, startServer, until } from "./support.mjs";

assert.equal(typeof WebSocket, "function", "run with --experimental-websocket (Node.js 20) or Node.js 22+");

const LIFECYCLE = ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"];

/** A real WebSocket that remembers how it was opened. */
function recordingWebSocket(opened) {
  return class extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      opened.push({ url: new URL(url), protocols, socket: this });
    }
  };
}

/** A client with everything it reports recorded. */
function recordedClient(options) {
  const log = { states: [], frames: [], events: [], lost: [], opened: [] };
  const client = new AgentwireClient({
    WebSocket: recordingWebSocket(log.opened),
    backoff: { initialMs: 50, maxMs: 400 },
    ...options,
  });
  client.onState((change) => log.states.push(change));
  client.onFrame((frame) => log.frames.push(frame));
  client.onHistoryLost((lost) => log.lost.push(lost));
  for (const type of LIFECYCLE) client.on(type, (event) => log.events.push(event));
  return { client, log };
}

const completedRuns = (log) => log.events.filter((e) => e.type === "agent_completed").length;

function assertContiguous(events, from = 1) {
  const seqs = events.map((e) => e.seq);
  assert.deepEqual(seqs, seqs.map((_, i) => from + i), `seqs ${seqs.join(",")}`);
}

/** An HS256 JWT signed here, to choose its `exp`. */
function sign(claims, secret = SECRET) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const data = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  return `${data}.${createHmac("sha256", secret).update(data).digest("base64url")}`;
}

describe("backoffDelay", () => {
  it("grows by the factor up to the maximum, less the jitter", () => {
    const options = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 };
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, options, () => 0)), [100, 200, 400, 800, 1000, 1000]);
    assert.deepEqual([0, 1, 4].map((n) => backoffDelay(n, options, () => 1)), [50, 100, 500]);
    assert.equal(backoffDelay(0, {}, () => 0), 500);
    assert.equal(backoffDelay(20, {}, () => 0), 30_000);
  });
});

describe("AgentwireClient against a real server", () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  it("connects with the subprotocol pair and dispatches typed events", async () => {
    const user = freshUser("typed");
    let tokens = 0;
    const { client, log } = recordedClient({
      url: server.wsUrl,
      token: () => {
        tokens += 1;
        return demoToken(server.httpUrl, user);
      },
    });
    assert.equal(client.state, "idle");
    assert.throws(() => client.sendUserMessage("too early"), /not connected/);
    client.connect();
    await until(() => client.state === "open", "open");
    assert.deepEqual(log.states.map((s) => s.state), ["connecting", "open"]);
    const [{ protocols, socket, url }] = log.opened;
    assert.equal(protocols[0], "agentwire.v1");
    assert.match(protocols[1], /^bearer\.[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(socket.protocol, "agentwire.v1");
    assert.equal(url.search, "");
    const hello = log.frames[0];
    assert.equal(hello.type, "connection_established");
    assert.equal(hello.payload.user_id, user);
    assert.equal(client.epoch, hello.payload.epoch);
    assert.equal(client.connectionId, hello.payload.connection_id);

    const started = [];
    client.on("agent_started", (e) => started.push(e.agent_name));
    client.sendUserMessage("find GPU prices");
    await until(() => completedRuns(log) === 1, "the first run");
    assert.deepEqual(started, ["researcher"]);
    assert.deepEqual(log.events.map((e) => e.type), [
      "agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_thinking", "agent_completed",
    ]);
    assertContiguous(log.events);
    const [, , executing, completed, , done] = log.events;
    assert.equal(executing.payload.tool_name, "search");
    assert.deepEqual(executing.payload.parameters, { q: "find GPU prices" });
    assert.equal(completed.payload.tool_call_id, executing.payload.tool_call_id);
    assert.equal(completed.payload.status, "success");
    assert.equal(done.payload.status, "completed");
    assert.match(done.payload.result.answer, /find GPU prices/);
    assert.equal(client.lastSeq, done.seq);

    client.sendUserMessage("this search will fail", "thread-2");
    await until(() => completedRuns(log) === 2, "the failing run");
    const failed = log.events.slice(6);
    assert.deepEqual(failed.map((e) => e.type), ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"]);
    assert.equal(failed[0].thread_id, "thread-2");
    assert.equal(failed[3].payload.status, "error");
    assert.equal(failed[4].payload.status, "failed");
    assert.match(failed[4].payload.error, /this search will fail/);

    const errors = [];
    const pongs = [];
    client.on("error", (e) => errors.push(e.payload.code));
    client.on("pong", (e) => pongs.push(e));
    client.sendUserMessage("hello", undefined, "nobody");
    client.ping();
    await until(() => errors.length === 1 && pongs.length === 1, "the error and the pong");
    assert.deepEqual(errors, ["unknown_agent"]);

    client.close();
    assert.equal(client.state, "closed");
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(log.opened.length, 1, "no reconnect after close()");
    assert.equal(tokens, 1);
    assert.deepEqual(client.stats, { duplicates: 0, gaps: 0, connections: 1 });
  });

  it("resumes after a dropped connection without losing or repeating events", async () => {
    const user = freshUser("resume");
    const proxy = await startProxy(server.port);
    const { client, log } = recordedClient({ url: proxy.wsUrl, token: () => demoToken(proxy.httpUrl, user) });
    client.connect();
    await until(() => client.state === "open", "open");
    client.sendUserMessage("find GPU prices");
    await until(() => completedRuns(log) === 1, "the first run");
    const epoch = client.epoch;

    // The network fails: no close frame, the client sees 1006.
    proxy.block();
    await until(() => client.state === "reconnecting", "reconnecting");
    assert.equal(log.states.at(-1).code, 1006);

    // Meanwhile another tab of the user runs the agent.
    const other = new AgentwireClient({ url: server.wsUrl, token: () => demoToken(server.httpUrl, user) }).connect();
    await until(() => other.state === "open", "the other tab");
    let otherDone = false;
    other.on("agent_completed", () => (otherDone = true));
    other.sendUserMessage("this search will fail");
    await until(() => otherDone, "the other tab's run");
    other.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(completedRuns(log), 1, "nothing arrives while cut off");
    assert.ok(log.states.filter((s) => s.state === "reconnecting").length >= 2, "it kept trying");

    proxy.unblock();
    await until(() => completedRuns(log) === 2, "the missed run");
    const resumedAt = log.opened.at(-1).url;
    assert.equal(resumedAt.searchParams.get("since"), "6");
    assert.equal(resumedAt.searchParams.get("epoch"), epoch);
    const hello = log.frames.filter((f) => f.type === "connection_established").at(-1);
    assert.equal(hello.payload.recovered, true);
    assert.equal(hello.payload.missed, 5);
    assertContiguous(log.events);
    assert.equal(log.events.length, 11);
    assert.deepEqual(log.lost, []);
    assert.equal(client.stats.duplicates, 0);
    assert.equal(client.stats.gaps, 0);
    assert.equal(log.states.at(-1).state, "open");
    assert.equal(log.states.at(-1).attempt, 0);

    // Live events still flow on the resumed connection.
    client.sendUserMessage("find more");
    await until(() => completedRuns(log) === 3, "a live run");
    assertContiguous(log.events);
    client.close();
    await proxy.close();
  });

  it("backs off exponentially, with jitter, while the server cannot be reached", async () => {
    const user = freshUser("backoff");
    const proxy = await startProxy(server.port);
    const { client, log } = recordedClient({
      url: proxy.wsUrl,
      token: () => demoToken(server.httpUrl, user),
      backoff: { initialMs: 40, maxMs: 320, factor: 2, jitter: 0.5 },
    });
    client.connect();
    await until(() => client.state === "open", "open");
    proxy.block();
    await until(() => log.states.filter((s) => s.state === "reconnecting").length >= 6, "six attempts");
    proxy.unblock();
    await until(() => client.state === "open", "open again");
    const waits = log.states.filter((s) => s.state === "reconnecting");
    waits.forEach((s, n) => {
      const full = Math.min(320, 40 * 2 ** n);
      assert.equal(s.attempt, n + 1);
      assert.ok(s.delayMs >= full / 2 && s.delayMs <= full, `attempt ${n}: ${s.delayMs} ms not in [${full / 2}, ${full}]`);
    });
    assert.equal(log.states.at(-1).attempt, 0, "the count starts again once open");
    client.close();
    await proxy.close();
  });

  it("replaces an expired token (4001) and resumes", { timeout: 30_000 }, async () => {
    const user = freshUser("expiry");
    let issued = 0;
    const { client, log } = recordedClient({
      url: server.wsUrl,
      // The first token expires in a second (the server allows 5 s of leeway).
      token: () => {
        issued += 1;
        const now = Math.floor(Date.now() / 1000);
        return sign({ sub: user, exp: issued === 1 ? now + 1 : now + 600 });
      },
    });
    client.connect();
    await until(() => client.state === "open", "open");
    client.sendUserMessage("find GPU prices");
    await until(() => completedRuns(log) === 1, "a run");
    await until(() => log.states.some((s) => s.code === 4001), "the expiry", 20_000);
    const expired = log.states.find((s) => s.code === 4001);
    assert.equal(expired.delayMs, 0, "no backoff for an expired token");
    await until(() => client.state === "open", "open again");
    assert.equal(issued, 2);
    assert.equal(log.frames.filter((f) => f.type === "connection_established").at(-1).payload.recovered, true);
    client.sendUserMessage("find more");
    await until(() => completedRuns(log) === 2, "a run after the resume");
    assertContiguous(log.events);
    client.close();
  });
});

describe("AgentwireClient across a server restart", () => {
  it("tells the app that history was lost and continues with the new stream", async () => {
    const user = freshUser("restart");
    const first = await startServer();
    const proxy = await startProxy(first.port);
    let second;
    try {
      const { client, log } = recordedClient({ url: proxy.wsUrl, token: () => demoToken(proxy.httpUrl, user) });
      client.connect();
      await until(() => client.state === "open", "open");
      client.sendUserMessage("find GPU prices");
      await until(() => completedRuns(log) === 1, "a run");
      const oldEpoch = client.epoch;

      await first.stop();
      await until(() => client.state === "reconnecting", "reconnecting");
      assert.equal(log.states.find((s) => s.state === "reconnecting").code, 1001, "going away");
      second = await startServer();
      proxy.retarget(second.port);
      await until(() => log.lost.length === 1, "history lost");
      assert.deepEqual(log.lost[0], { lastSeq: 6, seq: 0, previousEpoch: oldEpoch, epoch: client.epoch });
      assert.notEqual(client.epoch, oldEpoch);
      assert.equal(client.lastSeq, 0);

      // The new stream's events are handled, not taken for duplicates.
      client.sendUserMessage("find more");
      await until(() => completedRuns(log) === 2, "a run on the new server");
      assertContiguous(log.events.slice(6), 1);
      assert.equal(client.stats.duplicates, 0);
      client.close();
    } finally {
      await proxy.close();
      await first.stop();
      await second?.stop();
    }
  });
});
