// A typed client of agentwire's WebSocket protocol (v1): connects with the
// `agentwire.v1, bearer.<jwt>` subprotocol pair, dispatches frames by
// `type`, and reconnects with exponential backoff and jitter, resuming the
// user's stream with `?since=<seq>&epoch=<epoch>` so that no event is lost
// or seen twice. No dependencies: an ES module for browsers (and Node.js
// with a global `WebSocket`, or one given in the options).
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
export function backoffDelay(attempt, options = {}, random = Math.random) {
    const initial = options.initialMs ?? 500;
    const max = options.maxMs ?? 30000;
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
export class AgentwireClient {
    constructor(options) {
        this.current = "idle";
        this.attempt = 0;
        this.seq = 0;
        this.handlers = new Map();
        this.frameHandlers = new Set();
        this.stateHandlers = new Set();
        this.lostHandlers = new Set();
        this.onOnline = () => {
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
        this.stats = { duplicates: 0, gaps: 0, connections: 0 };
        this.options = options;
        const WS = options.WebSocket ?? globalThis.WebSocket;
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
    get state() {
        return this.current;
    }
    /** The user's stream, from the last `connection_established`. */
    get epoch() {
        return this.streamEpoch;
    }
    /** The `seq` of the last event handled (what a reconnect resumes after). */
    get lastSeq() {
        return this.seq;
    }
    /** The current connection's id, while open. */
    get connectionId() {
        return this.connection;
    }
    /** Opens the connection (and keeps it open until `close()`). */
    connect() {
        if (this.current === "idle" || this.current === "closed") {
            this.open();
            if (typeof globalThis.addEventListener === "function") {
                globalThis.addEventListener("online", this.onOnline);
            }
        }
        return this;
    }
    /** Closes the connection for good: no reconnect. */
    close() {
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
    on(type, handler) {
        let set = this.handlers.get(type);
        if (!set) {
            set = new Set();
            this.handlers.set(type, set);
        }
        set.add(handler);
        return () => set.delete(handler);
    }
    /** Calls `handler` with every frame, after the handlers of its type. */
    onFrame(handler) {
        this.frameHandlers.add(handler);
        return () => this.frameHandlers.delete(handler);
    }
    /** Calls `handler` on every change of state. */
    onState(handler) {
        this.stateHandlers.add(handler);
        return () => this.stateHandlers.delete(handler);
    }
    /** Calls `handler` when a resume could not replay the missed events. */
    onHistoryLost(handler) {
        this.lostHandlers.add(handler);
        return () => this.lostHandlers.delete(handler);
    }
    /**
     * Starts a run of `agent` (or the server's first agent) in `threadId`
     * (or the server's default thread). The run's events arrive like any
     * other. Throws when not `open`.
     */
    sendUserMessage(content, threadId, agent) {
        const payload = { content };
        if (threadId !== undefined)
            payload.thread_id = threadId;
        if (agent !== undefined)
            payload.agent = agent;
        this.send({ type: "user_message", payload });
    }
    /**
     * Cancels a run of this user that is still going, whichever tab started
     * it: every tab then receives its terminal events (`agent_completed` with
     * status `cancelled`). A run that has ended, or is not this user's, gets
     * an `error` with code `unknown_run`. Throws when not `open`.
     */
    cancelRun(runId) {
        this.send({ type: "cancel_run", payload: { run_id: runId } });
    }
    /** Sends `ping`; the server answers `pong`. Throws when not `open`. */
    ping() {
        this.send({ type: "ping" });
    }
    /** Sends a frame of the protocol. Throws when not `open`. */
    send(frame) {
        const socket = this.socket;
        if (this.current !== "open" || !socket || socket.readyState !== OPEN) {
            throw new Error(`agentwire: not connected (state: ${this.current})`);
        }
        socket.send(JSON.stringify(frame));
    }
    setState(change) {
        this.current = change.state;
        for (const handler of [...this.stateHandlers])
            handler(change);
    }
    async open() {
        this.timer = undefined;
        this.setState({ state: "connecting", attempt: this.attempt });
        let token;
        try {
            const given = this.options.token;
            token = typeof given === "function" ? await given() : given;
        }
        catch {
            if (this.current === "connecting")
                this.retry(ABNORMAL_CLOSURE, "could not get a token");
            return;
        }
        if (this.current !== "connecting")
            return; // closed meanwhile
        const url = new URL(String(this.options.url));
        if (this.streamEpoch !== undefined) {
            url.searchParams.set("since", String(this.seq));
            url.searchParams.set("epoch", this.streamEpoch);
        }
        let socket;
        try {
            socket = new this.WS(url.toString(), [PROTOCOL, `bearer.${token}`]);
        }
        catch {
            this.retry(ABNORMAL_CLOSURE, "could not open a WebSocket");
            return;
        }
        this.socket = socket;
        this.stats.connections += 1;
        socket.onmessage = (message) => {
            if (this.socket === socket && typeof message.data === "string")
                this.receive(message.data);
        };
        let opened = false;
        const ended = (code, reason) => {
            if (this.socket !== socket)
                return;
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
            if (!opened)
                ended(ABNORMAL_CLOSURE, "the connection failed");
        };
        socket.onclose = (event) => ended(event.code, event.reason);
    }
    retry(code, reason) {
        if (this.current === "closed")
            return;
        const immediately = code === TOKEN_EXPIRED && typeof this.options.token === "function";
        const delayMs = immediately ? 0 : backoffDelay(this.attempt, this.options.backoff);
        this.attempt += 1;
        this.setState({ state: "reconnecting", attempt: this.attempt, code, reason, delayMs });
        this.timer = setTimeout(() => this.open(), delayMs);
    }
    receive(text) {
        let frame;
        try {
            frame = JSON.parse(text);
        }
        catch {
            return;
        }
        if (typeof frame !== "object" || frame === null || typeof frame.type !== "string")
            return;
        if (frame.type === "connection_established") {
            this.established(frame.payload);
        }
        else if (typeof frame.seq === "number") {
            if (frame.seq <= this.seq) {
                this.stats.duplicates += 1;
                return;
            }
            if (frame.seq > this.seq + 1 && this.streamEpoch !== undefined)
                this.stats.gaps += 1;
            this.seq = frame.seq;
        }
        this.dispatch(frame);
    }
    established(payload) {
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
            const lost = { lastSeq, seq: payload.seq, previousEpoch, epoch: payload.epoch };
            if (payload.missed !== undefined)
                lost.missed = payload.missed;
            for (const handler of [...this.lostHandlers])
                handler(lost);
        }
    }
    dispatch(frame) {
        const set = this.handlers.get(frame.type);
        if (set)
            for (const handler of [...set])
                handler(frame);
        for (const handler of [...this.frameHandlers])
            handler(frame);
    }
}
