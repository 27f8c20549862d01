import type { ClientFrame, ServerFrame } from "./protocol.js";
export type * from "./protocol.js";
/** Where the client is. */
export type ConnectionState = 
/** Created; `connect()` not called yet. */
"idle"
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
    onmessage: ((ev: {
        data: unknown;
    }) => void) | null;
    onclose: ((ev: {
        code: number;
        reason: string;
    }) => void) | null;
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
    resumeFrom?: {
        epoch: string;
        seq: number;
    };
    /** The WebSocket implementation; default: the global `WebSocket`. */
    WebSocket?: WebSocketConstructor;
}
/** The subprotocol the server selects. */
export declare const PROTOCOL = "agentwire.v1";
/** The close code a browser reports when a connection was dropped without a close frame. */
export declare const ABNORMAL_CLOSURE = 1006;
/** The close code of an expired token: reconnect at once with a fresh one. */
export declare const TOKEN_EXPIRED = 4001;
/**
 * The delay before reconnect attempt `attempt` (0 for the first after a
 * connection ended), in ms.
 */
export declare function backoffDelay(attempt: number, options?: BackoffOptions, random?: () => number): number;
/**
 * A connection to agentwire that stays connected: typed handlers per frame
 * `type`, state changes, and a resume after every reconnect.
 *
 * `F` is the union of server frames: the v1 protocol's `ServerFrame` by
 * default, or a union generated with your custom events
 * (`Schema::v1().with_event::<E>().typescript()`).
 */
export declare class AgentwireClient<F extends {
    type: string;
} = ServerFrame> {
    private readonly options;
    private readonly WS;
    private socket;
    private timer;
    private current;
    private attempt;
    private streamEpoch;
    private seq;
    private connection;
    private readonly handlers;
    private readonly frameHandlers;
    private readonly stateHandlers;
    private readonly lostHandlers;
    private readonly onOnline;
    /**
     * Counters a test or a dashboard can read: events dropped because their
     * `seq` was already handled, and gaps in `seq` (neither happens with a
     * correct server).
     */
    readonly stats: {
        duplicates: number;
        gaps: number;
        connections: number;
    };
    constructor(options: ClientOptions);
    /** Where the client is. */
    get state(): ConnectionState;
    /** The user's stream, from the last `connection_established`. */
    get epoch(): string | undefined;
    /** The `seq` of the last event handled (what a reconnect resumes after). */
    get lastSeq(): number;
    /** The current connection's id, while open. */
    get connectionId(): string | undefined;
    /** Opens the connection (and keeps it open until `close()`). */
    connect(): this;
    /** Closes the connection for good: no reconnect. */
    close(): void;
    /** Calls `handler` with every frame of type `type`; returns an unsubscribe function. */
    on<K extends F["type"]>(type: K, handler: (frame: Extract<F, {
        type: K;
    }>) => void): () => void;
    /** Calls `handler` with every frame, after the handlers of its type. */
    onFrame(handler: (frame: F) => void): () => void;
    /** Calls `handler` on every change of state. */
    onState(handler: (change: StateChange) => void): () => void;
    /** Calls `handler` when a resume could not replay the missed events. */
    onHistoryLost(handler: (lost: HistoryLost) => void): () => void;
    /**
     * Starts a run of `agent` (or the server's first agent) in `threadId`
     * (or the server's default thread). The run's events arrive like any
     * other. Throws when not `open`.
     */
    sendUserMessage(content: string, threadId?: string, agent?: string): void;
    /**
     * Cancels a run of this user that is still going, whichever tab started
     * it: every tab then receives its terminal events (`agent_completed` with
     * status `cancelled`). A run that has ended, or is not this user's, gets
     * an `error` with code `unknown_run`. Throws when not `open`.
     */
    cancelRun(runId: string): void;
    /** Sends `ping`; the server answers `pong`. Throws when not `open`. */
    ping(): void;
    /** Sends a frame of the protocol. Throws when not `open`. */
    send(frame: ClientFrame): void;
    private setState;
    private open;
    private retry;
    private receive;
    private established;
    private dispatch;
}
