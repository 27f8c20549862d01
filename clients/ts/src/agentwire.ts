// A typed client of agentwire's WebSocket protocol (v1): connects with the
// `agentwire.v1, bearer.<jwt>` subprotocol pair, dispatches frames by
// `type`, and reconnects with exponential backoff and jitter, resuming the
// user's stream with `?since=<seq>&epoch=<epoch>` so that no event is lost
// or seen twice. No dependencies: an ES module for browsers (and Node.js
// with a global `WebSocket`, or one given in the options).

import type { ClientFrame, ServerFrame } from "./protocol.js";

export type * from "./protocol.js";

/** Where the client is. */
export type ConnectionState =
  /** Created; `connect()` not called yet. */
  | "idle"
  /** Opening a connection (fetching the token, handshaking). */
  | "connecting"
  /** `connection_established` arrived: events flow, messages can be sent. */
  | "open"
  /** The connection ended; waiting `delayMs` before the next attempt. */
  | "reconnecting"
  /** `close()` was called: no more connections. */
  | "closed";

/** What `onState` handlers get. */
export interface StateChange {
  state: ConnectionState;
  /** Connection attempts that failed in a row (0 once open). */
  attempt: number;
  /**
   * The close code of the connection that ended: one of the server's
   * `CloseCode`s, or 1006 when it was dropped without a close frame.
   */
  code?: number;
  /** The close reason, if the server gave one. */
  reason?: string;
  /** When `reconnecting`: the wait before the next attempt, in ms. */
  delayMs?: number;
}

/**
 * The server could not replay what the client missed (it restarted, forgot
 * the user's stream, or the gap was larger than its replay buffer): reload
 * your state (e.g. over your REST API). Events continue from `seq`.
 */
export interface HistoryLost {
  /** How many events were missed, when the server knows. */
  missed?: number;
  /** The last `seq` this client handled. */
  lastSeq: number;
  /** The stream's `seq` now; events continue after it. */
  seq: number;
  /** The stream the client had. */
  previousEpoch: string;
  /** The stream it has now (the same one when only the gap was too large). */
  epoch: string;
}

/** Reconnect delays: `initialMs * factor^attempt`, at most `maxMs`, less up to `jitter` of it at random. */
export interface BackoffOptions {
  /** The first delay, in ms (default 500). */
  initialMs?: number;
  /** The longest delay, in ms (default 30000). */
  maxMs?: number;
  /** How much each failed attempt multiplies the delay (default 2). */
  factor?: number;
  /** The fraction of each delay taken off at random, 0 to 1 (default 0.5), so that tabs do not reconnect in step. */
  jitter?: number;
}

/** The part of the `WebSocket` API the client uses. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

export interface ClientOptions {
  /** The endpoint, e.g. `wss://example.com/ws`. */
  url: string | URL;
  /**
   * The JWT, or a function that returns one: called before every
   * connection, so that an expired token (close code 4001) is replaced.
   */
  token: string | (() => string | Promise<string>);
  /** Reconnect delays. */
  backoff?: BackoffOptions;
  /** Resume a stream seen before (e.g. saved across a page reload). */
  resumeFrom?: { epoch: string; seq: number };
  /** The WebSocket implementation; default: the global `WebSocket`. */
  WebSocket?: WebSocketConstructor;
}

/** The frames a client of this protocol receives, keyed by `type`. */
type Handler<F> = (frame: F) => void;

/** The subprotocol the server selects. */
export const PROTOCOL = "agentwire.v1";

/** The close code a browser reports when a connection was dropped without a close frame. */
export const ABNORMAL_CLOSURE = 1006;

/** The close code of an expired token: reconnect at once with a fresh one. */
export const TOKEN_EXPIRED = 4001;

const OPEN = 1;

/**
 * The delay before reconnect attempt `attempt` (0 for the first after a
 * connection ended), in ms.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const factor = options.factor ?? 2;
  const jitter = Math.min(Math.max(options.jitter ?? 0.5, 0), 1);
  const full = Math.min(max, initial * Math.pow(factor, Math.max(0, attempt)));
  return Math.round(full * (1 - jitter * random()));
}

/**
 * A connection to agentwire that stays connected: typed handlers per frame
 * `type`, state changes, and a resume after every reconnect.
 *
 * `F` is the union of server frames: the v1 protocol's `ServerFrame` by
 * default, or a union generated with your custom events
 * (`Schema::v1().with_event::<E>().typescript()`).
 */
export class AgentwireClient<F extends { type: string } = ServerFrame> {
  private readonly options: ClientOptions;
  private readonly WS: WebSocketConstructor;
  private socket: WebSocketLike | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private current: ConnectionState = "idle";
  private attempt = 0;
  private streamEpoch: string | undefined;
  private seq = 0;
  private connection: string | undefined;
  private readonly handlers = new Map<string, Set<Handler<any>>>();
  private readonly frameHandlers = new Set<Handler<F>>();
  private readonly stateHandlers = new Set<Handler<StateChange>>();
  private readonly lostHandlers = new Set<Handler<HistoryLost>>();
  private readonly onOnline = () => {
    if (this.current === "reconnecting") {
      clearTimeout(this.timer);
      this.open();
    }
  };

  /**
   * Counters a test or a dashboard can read: events dropped because their
   * `seq` was already handled, and gaps in `seq` (neither happens with a
   * correct server).
   */
  readonly stats = { duplicates: 0, gaps: 0, connections: 0 };

  constructor(options: ClientOptions) {
    this.options = options;
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) {
      throw new Error("agentwire: no WebSocket implementation; pass one as `options.WebSocket`");
    }
    this.WS = WS;
    if (options.resumeFrom) {
      this.streamEpoch = options.resumeFrom.epoch;
      this.seq = options.resumeFrom.seq;
    }
  }

  /** Where the client is. */
  get state(): ConnectionState {
    return this.current;
  }

  /** The user's stream, from the last `connection_established`. */
  get epoch(): string | undefined {
    return this.streamEpoch;
  }

  /** The `seq` of the last event handled (what a reconnect resumes after). */
  get lastSeq(): number {
    return this.seq;
  }

  /** The current connection's id, while open. */
  get connectionId(): string | undefined {
    return this.connection;
  }

  /** Opens the connection (and keeps it open until `close()`). */
  connect(): this {
    if (this.current === "idle" || this.current === "closed") {
      this.open();
      if (typeof globalThis.addEventListener === "function") {
        globalThis.addEventListener("online", this.onOnline);
      }
    }
    return this;
  }

  /** Closes the connection for good: no reconnect. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (typeof globalThis.removeEventListener === "function") {
      globalThis.removeEventListener("online", this.onOnline);
    }
    const socket = this.socket;
    this.socket = undefined;
    this.connection = undefined;
    socket?.close(1000, "bye");
    this.setState({ state: "closed", attempt: this.attempt });
  }

  /** Calls `handler` with every frame of type `type`; returns an unsubscribe function. */
  on<K extends F["type"]>(type: K, handler: (frame: Extract<F, { type: K }>) => void): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Calls `handler` with every frame, after the handlers of its type. */
  onFrame(handler: (frame: F) => void): () => void {
    this.frameHandlers.add(handler);
    return () => this.frameHandlers.delete(handler);
  }

  /** Calls `handler` on every change of state. */
  onState(handler: (change: StateChange) => void): () => void {
    this.stateHandlers.add(handler);
    return () => this.stateHandlers.delete(handler);
  }

  /** Calls `handler` when a resume could not replay the missed events. */
  onHistoryLost(handler: (lost: HistoryLost) => void): () => void {
    this.lostHandlers.add(handler);
    return () => this.lostHandlers.delete(handler);
  }

  /**
   * Starts a run of `agent` (or the server's first agent) in `threadId`
   * (or the server's default thread). The run's events arrive like any
   * other. Throws when not `open`.
   */
  sendUserMessage(content: string, threadId?: string, agent?: string): void {
    const payload: { content: string; thread_id?: string; agent?: string } = { content };
    if (threadId !== undefined) payload.thread_id = threadId;
    if (agent !== undefined) payload.agent = agent;
    this.send({ type: "user_message", payload });
  }

  /**
   * Cancels a run of this user that is still going, whichever tab started
   * it: every tab then receives its terminal events (`agent_completed` with
   * status `cancelled`). A run that has ended, or is not this user's, gets
   * an `error` with code `unknown_run`. Throws when not `open`.
   */
  cancelRun(runId: string): void {
    this.send({ type: "cancel_run", payload: { run_id: runId } });
  }

  /** Sends `ping`; the server answers `pong`. Throws when not `open`. */
  ping(): void {
    this.send({ type: "ping" });
  }

  /** Sends a frame of the protocol. Throws when not `open`. */
  send(frame: ClientFrame): void {
    const socket = this.socket;
    if (this.current !== "open" || !socket || socket.readyState !== OPEN) {
      throw new Error(`agentwire: not connected (state: ${this.current})`);
    }
    socket.send(JSON.stringify(frame));
  }

  private setState(change: StateChange): void {
    this.current = change.state;
    for (const handler of [...this.stateHandlers]) handler(change);
  }

  private async open(): Promise<void> {
    this.timer = undefined;
    this.setState({ state: "connecting", attempt: this.attempt });
    let token: string;
    try {
      const given = this.options.token;
      token = typeof given === "function" ? await given() : given;
    } catch {
      if (this.current === "connecting") this.retry(ABNORMAL_CLOSURE, "could not get a token");
      return;
    }
    if (this.current !== "connecting") return; // closed meanwhile
    const url = new URL(String(this.options.url));
    if (this.streamEpoch !== undefined) {
      url.searchParams.set("since", String(this.seq));
      url.searchParams.set("epoch", this.streamEpoch);
    }
    let socket: WebSocketLike;
    try {
      socket = new this.WS(url.toString(), [PROTOCOL, `bearer.${token}`]);
    } catch {
      this.retry(ABNORMAL_CLOSURE, "could not open a WebSocket");
      return;
    }
    this.socket = socket;
    this.stats.connections += 1;
    socket.onmessage = (message) => {
      if (this.socket === socket && typeof message.data === "string") this.receive(message.data);
    };
    let opened = false;
    const ended = (code: number, reason: string) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.connection = undefined;
      this.retry(code, reason);
    };
    socket.onopen = () => {
      opened = true;
    };
    // A failed handshake: browsers follow with a close event, some
    // runtimes do not, so it ends the attempt here (once).
    socket.onerror = () => {
      if (!opened) ended(ABNORMAL_CLOSURE, "the connection failed");
    };
    socket.onclose = (event) => ended(event.code, event.reason);
  }

  private retry(code: number, reason: string): void {
    if (this.current === "closed") return;
    const immediately = code === TOKEN_EXPIRED && typeof this.options.token === "function";
    const delayMs = immediately ? 0 : backoffDelay(this.attempt, this.options.backoff);
    this.attempt += 1;
    this.setState({ state: "reconnecting", attempt: this.attempt, code, reason, delayMs });
    this.timer = setTimeout(() => this.open(), delayMs);
  }

  private receive(text: string): void {
    let frame: F & { seq?: unknown; payload?: any };
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof frame !== "object" || frame === null || typeof frame.type !== "string") return;
    if (frame.type === "connection_established") {
      this.established(frame.payload);
    } else if (typeof frame.seq === "number") {
      if (frame.seq <= this.seq) {
        this.stats.duplicates += 1;
        return;
      }
      if (frame.seq > this.seq + 1 && this.streamEpoch !== undefined) this.stats.gaps += 1;
      this.seq = frame.seq;
    }
    this.dispatch(frame);
  }

  private established(payload: {
    connection_id: string;
    epoch: string;
    seq: number;
    recovered?: boolean;
    missed?: number;
  }): void {
    const previousEpoch = this.streamEpoch;
    const lastSeq = this.seq;
    this.connection = payload.connection_id;
    this.streamEpoch = payload.epoch;
    this.attempt = 0;
    if (previousEpoch === undefined || payload.recovered !== true) {
      this.seq = payload.seq;
    }
    this.setState({ state: "open", attempt: 0 });
    if (previousEpoch !== undefined && payload.recovered !== true) {
      const lost: HistoryLost = { lastSeq, seq: payload.seq, previousEpoch, epoch: payload.epoch };
      if (payload.missed !== undefined) lost.missed = payload.missed;
      for (const handler of [...this.lostHandlers]) handler(lost);
    }
  }

  private dispatch(frame: F): void {
    const set = this.handlers.get(frame.type);
    if (set) for (const handler of [...set]) handler(frame);
    for (const handler of [...this.frameHandlers]) handler(frame);
  }
}
