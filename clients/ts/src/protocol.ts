// Generated from the agentwire wire protocol's JSON Schema by
// `agentwire::schema::Schema::typescript`. Do not edit: regenerate with
// `AGENTWIRE_BLESS=1 cargo test --test schema`.

// The JSON text frames of agentwire's WebSocket endpoint. A frame from the server is a ServerFrame; a frame from a client is a ClientFrame.

/** Any JSON value. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A run ended: the last event of its run. */
export interface AgentCompletedEvent {
  type: "agent_completed";
  /** The agent running, as `agent_started` named it (cut to 256 bytes). */
  agent_name: string;
  /** The event's unique id. */
  event_id: string;
  payload: AgentCompletedPayload;
  /** The run the event belongs to. */
  run_id: RunId;
  /**
   * The event's number in its user's stream: one more than the user's
   * previous event, across runs and threads. Resume after it with
   * `?since=<seq>&epoch=<epoch>`.
   */
  seq: number;
  /** The thread of the run. */
  thread_id: ThreadId;
  /** When the event was emitted: RFC 3339, UTC, with milliseconds. */
  timestamp: string;
  /** The user the event belongs to (the connection's user). */
  user_id: UserId;
}

/** The payload of `agent_completed`. */
export interface AgentCompletedPayload {
  /** Why the run failed, or was cancelled. */
  error?: string;
  /** How long the run took. */
  execution_time_ms: number;
  /** The run's result. */
  result?: JsonValue;
  /** How the run ended. */
  status: RunStatus;
  /** `true` when large fields were cut to fit the hub's `max_event_size`. */
  truncated?: Truncated;
}

/** An agent event: the envelope every event of a run has, discriminated on `type`. */
export type AgentEvent = AgentStartedEvent | AgentThinkingEvent | ToolExecutingEvent | ToolCompletedEvent | AgentCompletedEvent;

/** A run started. */
export interface AgentStartedEvent {
  type: "agent_started";
  /** The agent running, as `agent_started` named it (cut to 256 bytes). */
  agent_name: string;
  /** The event's unique id. */
  event_id: string;
  payload: AgentStartedPayload;
  /** The run the event belongs to. */
  run_id: RunId;
  /**
   * The event's number in its user's stream: one more than the user's
   * previous event, across runs and threads. Resume after it with
   * `?since=<seq>&epoch=<epoch>`.
   */
  seq: number;
  /** The thread of the run. */
  thread_id: ThreadId;
  /** When the event was emitted: RFC 3339, UTC, with milliseconds. */
  timestamp: string;
  /** The user the event belongs to (the connection's user). */
  user_id: UserId;
}

/** The payload of `agent_started`. */
export interface AgentStartedPayload {
  /** A message shown when the run starts. */
  message?: string;
  /** `true` when large fields were cut to fit the hub's `max_event_size`. */
  truncated?: Truncated;
}

/** What the agent is thinking. */
export interface AgentThinkingEvent {
  type: "agent_thinking";
  /** The agent running, as `agent_started` named it (cut to 256 bytes). */
  agent_name: string;
  /** The event's unique id. */
  event_id: string;
  payload: AgentThinkingPayload;
  /** The run the event belongs to. */
  run_id: RunId;
  /**
   * The event's number in its user's stream: one more than the user's
   * previous event, across runs and threads. Resume after it with
   * `?since=<seq>&epoch=<epoch>`.
   */
  seq: number;
  /** The thread of the run. */
  thread_id: ThreadId;
  /** When the event was emitted: RFC 3339, UTC, with milliseconds. */
  timestamp: string;
  /** The user the event belongs to (the connection's user). */
  user_id: UserId;
}

/** The payload of `agent_thinking`. */
export interface AgentThinkingPayload {
  /** How far the run is, from 0 to 100. */
  progress_percentage?: number;
  /** The agent's reasoning, shown to the user. */
  reasoning: string;
  /** Which step of the run this is. */
  step_number?: number;
  /** `true` when large fields were cut to fit the hub's `max_event_size`. */
  truncated?: Truncated;
}

/** Cancels a run of the connection's user that is still going, whichever tab started it: its open tool calls end `cancelled`, then `agent_completed` with status `cancelled` reaches every tab. Refused with `unknown_run` otherwise. */
export interface CancelRunFrame {
  type: "cancel_run";
  payload: CancelRunPayload;
}

/** The payload of `cancel_run`. */
export interface CancelRunPayload {
  /** The run to cancel, as in its envelopes' `run_id`. */
  run_id: RunId;
}

/** A frame a client sends (a JSON text frame), discriminated on `type`. */
export type ClientFrame = UserMessageFrame | CancelRunFrame | PingFrame;

/** The WebSocket close codes the server sends (not a frame: the close frame's code). A browser reports 1006 when the connection was dropped without one. */
export type CloseCode = 1000 | 1001 | 1002 | 1007 | 1008 | 1009 | 1011 | 1013 | 4001 | 4008 | 4009 | 4010 | 4029;

/** The first frame of every connection. */
export interface ConnectionEstablishedFrame {
  type: "connection_established";
  payload: ConnectionEstablishedPayload;
}

/** The payload of `connection_established`. */
export interface ConnectionEstablishedPayload {
  /** This connection's id. */
  connection_id: ConnectionId;
  /**
   * Names the user's event stream. Keep it to resume with
   * `?since=<seq>&epoch=<epoch>`; a new epoch is a new stream whose `seq`
   * started again.
   */
  epoch: string;
  /** Only on a resume, when known: how many events the client lacks. */
  missed?: number;
  /**
   * Only on a resume (`?since=`): `true` when every missed event
   * follows, in order, before live ones; `false` when none is replayed
   * (another epoch, `since` ahead of the stream, or a gap larger than
   * the replay buffer): reload your state and continue from `seq`.
   */
  recovered?: boolean;
  /**
   * The stream's latest `seq` when the connection opened (0 before the
   * first event).
   */
  seq: number;
  /** The token's user: every event of this user, and no other's, follows. */
  user_id: UserId;
}

/** A connection id: 1 to 256 bytes (UTF-8), no control characters, no surrounding whitespace. */
export type ConnectionId = string;

/** Why the server refused what a client sent, or could not act on it. */
export type ErrorCode = "invalid_json" | "invalid_payload" | "unknown_type" | "unknown_agent" | "no_agent" | "too_many_runs" | "unknown_run" | "unsupported" | "shutting_down" | "internal" | "rate_limited";

/** What the client sent was refused, or could not be acted on; the connection stays open. */
export interface ErrorFrame {
  type: "error";
  payload: ErrorPayload;
}

/** The payload of `error`. */
export interface ErrorPayload {
  /** What went wrong, for programs. */
  code: ErrorCode;
  /** What went wrong, for people. */
  message: string;
}

/** Answered by `pong`. */
export interface PingFrame {
  type: "ping";
}

/** The answer to a `ping`. */
export interface PongFrame {
  type: "pong";
}

/** A run id: 1 to 256 bytes (UTF-8), no control characters, no surrounding whitespace. */
export type RunId = string;

/** How a run ended. */
export type RunStatus = "completed" | "failed" | "cancelled";

/** A frame the server sends (a JSON text frame), discriminated on `type`. */
export type ServerFrame = AgentStartedEvent | AgentThinkingEvent | ToolExecutingEvent | ToolCompletedEvent | AgentCompletedEvent | ConnectionEstablishedFrame | ErrorFrame | PongFrame;

/** A thread id: 1 to 256 bytes (UTF-8), no control characters, no surrounding whitespace. */
export type ThreadId = string;

/** A tool call id: 1 to 256 bytes (UTF-8), no control characters, no surrounding whitespace. */
export type ToolCallId = string;

/** A tool call ended. */
export interface ToolCompletedEvent {
  type: "tool_completed";
  /** The agent running, as `agent_started` named it (cut to 256 bytes). */
  agent_name: string;
  /** The event's unique id. */
  event_id: string;
  payload: ToolCompletedPayload;
  /** The run the event belongs to. */
  run_id: RunId;
  /**
   * The event's number in its user's stream: one more than the user's
   * previous event, across runs and threads. Resume after it with
   * `?since=<seq>&epoch=<epoch>`.
   */
  seq: number;
  /** The thread of the run. */
  thread_id: ThreadId;
  /** When the event was emitted: RFC 3339, UTC, with milliseconds. */
  timestamp: string;
  /** The user the event belongs to (the connection's user). */
  user_id: UserId;
}

/** The payload of `tool_completed`. */
export interface ToolCompletedPayload {
  /** Why the tool failed, or was cancelled. */
  error?: string;
  /** How long the call took. */
  execution_time_ms: number;
  /** What the tool returned. */
  result?: JsonValue;
  /** How the call ended. */
  status: ToolStatus;
  /** The call's `tool_executing` had the same id. */
  tool_call_id: ToolCallId;
  /** The tool's name. */
  tool_name: string;
  /** `true` when large fields were cut to fit the hub's `max_event_size`. */
  truncated?: Truncated;
}

/** A tool call began. */
export interface ToolExecutingEvent {
  type: "tool_executing";
  /** The agent running, as `agent_started` named it (cut to 256 bytes). */
  agent_name: string;
  /** The event's unique id. */
  event_id: string;
  payload: ToolExecutingPayload;
  /** The run the event belongs to. */
  run_id: RunId;
  /**
   * The event's number in its user's stream: one more than the user's
   * previous event, across runs and threads. Resume after it with
   * `?since=<seq>&epoch=<epoch>`.
   */
  seq: number;
  /** The thread of the run. */
  thread_id: ThreadId;
  /** When the event was emitted: RFC 3339, UTC, with milliseconds. */
  timestamp: string;
  /** The user the event belongs to (the connection's user). */
  user_id: UserId;
}

/** The payload of `tool_executing`. */
export interface ToolExecutingPayload {
  /** The tool's arguments (`{}` when none were given). */
  parameters: JsonValue;
  /** Pairs this call with its `tool_completed`. */
  tool_call_id: ToolCallId;
  /** The tool's name. */
  tool_name: string;
  /** `true` when large fields were cut to fit the hub's `max_event_size`. */
  truncated?: Truncated;
}

/** How a tool call ended. */
export type ToolStatus = "success" | "error" | "cancelled";

/** Present, and `true`, when large fields of the payload were cut to keep the event under the hub's `max_event_size`: text ends with `…`, other JSON became `{"truncated": true, "bytes": n}`. */
export type Truncated = true;

/** A user id: 1 to 256 bytes (UTF-8), no control characters, no surrounding whitespace. */
export type UserId = string;

/** Starts a run of the named (or first registered) agent for the connection's user. */
export interface UserMessageFrame {
  type: "user_message";
  payload: UserMessagePayload;
}

/** The payload of `user_message`. */
export interface UserMessagePayload {
  /** The agent to run; the server's first registered agent when absent. */
  agent?: string;
  /** The message; not empty or only whitespace. */
  content: string;
  /** The thread to run in. */
  thread_id?: ThreadId;
}
