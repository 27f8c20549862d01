//! Client → server messages, and the server's own frames.

use serde_json::Value;

use crate::wire;
use crate::{RunId, ThreadId, UserMessage};

/// What a client sent.
#[derive(Debug)]
pub(crate) enum Inbound {
    UserMessage(UserMessage),
    CancelRun(RunId),
    Ping,
}

/// The `code` of an `error` frame: why the server refused what a client
/// sent, or could not act on it. The connection stays open.
///
/// ```
/// use agentwire::server::ErrorCode;
///
/// assert_eq!(ErrorCode::InvalidJson.as_str(), "invalid_json");
/// assert_eq!(ErrorCode::ALL.len(), 11);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The text frame is not JSON.
    InvalidJson,
    /// The JSON is not a message of the protocol: no `type`, or a payload
    /// of the wrong shape.
    InvalidPayload,
    /// The `type` is not one the server knows.
    UnknownType,
    /// `user_message` named an agent the server does not have.
    UnknownAgent,
    /// The server has no agents, so `user_message` cannot start a run.
    NoAgent,
    /// A binary frame: the protocol is JSON in text frames.
    Unsupported,
    /// `user_message` while the user already has the maximum number of
    /// runs going (4 by default); nothing was started.
    TooManyRuns,
    /// `cancel_run` named no run of this user that is still going: an
    /// unknown id, a run that has ended, or another user's run.
    UnknownRun,
    /// The server is shutting down and starts no new runs.
    ShuttingDown,
    /// The server could not act on a valid message: nothing was started,
    /// or a `cancel_run` could not be delivered to the node running the run.
    Internal,
    /// An HTTP `POST` beyond the per-user rate limit (answered with 429; a
    /// WebSocket that sends too fast is closed with 4029 instead).
    RateLimited,
}

impl ErrorCode {
    /// Every code, in the order the README lists them.
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::InvalidJson,
        ErrorCode::InvalidPayload,
        ErrorCode::UnknownType,
        ErrorCode::UnknownAgent,
        ErrorCode::NoAgent,
        ErrorCode::TooManyRuns,
        ErrorCode::UnknownRun,
        ErrorCode::Unsupported,
        ErrorCode::ShuttingDown,
        ErrorCode::Internal,
        ErrorCode::RateLimited,
    ];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidPayload => "invalid_payload",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::UnknownAgent => "unknown_agent",
            ErrorCode::NoAgent => "no_agent",
            ErrorCode::TooManyRuns => "too_many_runs",
            ErrorCode::UnknownRun => "unknown_run",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::ShuttingDown => "shutting_down",
            ErrorCode::Internal => "internal",
            ErrorCode::RateLimited => "rate_limited",
        }
    }
}

/// Why a client's message was refused; the connection stays open.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ClientError {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

impl ClientError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ClientError {
            code,
            message: message.into(),
        }
    }

    /// `{"type":"error","payload":{"code":..,"message":..}}`
    pub(crate) fn to_frame(&self) -> String {
        let mut out = Vec::with_capacity(64 + self.message.len());
        out.extend_from_slice(b"{\"type\":\"error\",\"payload\":{\"code\":");
        wire::push_str(&mut out, self.code.as_str());
        out.extend_from_slice(b",\"message\":");
        wire::push_str(&mut out, &self.message);
        out.extend_from_slice(b"}}");
        String::from_utf8_lossy(&out).into_owned()
    }
}

pub(crate) const PONG: &str = "{\"type\":\"pong\"}";

/// What `connection_established` tells a client about its stream.
pub(crate) struct Hello<'a> {
    pub(crate) connection: &'a str,
    pub(crate) user: &'a str,
    /// The user's stream: a new epoch means a new stream, whose `seq`
    /// started again at 1.
    pub(crate) epoch: &'a str,
    /// The `seq` of the user's latest event when the connection opened.
    pub(crate) seq: u64,
    /// For a resume: whether every missed event follows, and how many the
    /// client lacks when that is known.
    pub(crate) recovery: Option<(bool, Option<u64>)>,
}

impl Hello<'_> {
    /// `{"type":"connection_established","payload":{..}}`
    pub(crate) fn to_frame(&self) -> String {
        let mut out = Vec::with_capacity(160);
        out.extend_from_slice(
            b"{\"type\":\"connection_established\",\"payload\":{\"connection_id\":",
        );
        wire::push_str(&mut out, self.connection);
        out.extend_from_slice(b",\"user_id\":");
        wire::push_str(&mut out, self.user);
        out.extend_from_slice(b",\"epoch\":");
        wire::push_str(&mut out, self.epoch);
        out.extend_from_slice(b",\"seq\":");
        wire::push_u64(&mut out, self.seq);
        if let Some((recovered, missed)) = self.recovery {
            out.extend_from_slice(if recovered {
                b",\"recovered\":true"
            } else {
                b",\"recovered\":false"
            });
            if let Some(missed) = missed {
                out.extend_from_slice(b",\"missed\":");
                wire::push_u64(&mut out, missed);
            }
        }
        out.extend_from_slice(b"}}");
        String::from_utf8_lossy(&out).into_owned()
    }
}

pub(crate) fn parse(text: &str) -> Result<Inbound, ClientError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ClientError::new(ErrorCode::InvalidJson, format!("not valid JSON: {e}")))?;
    let Value::Object(mut obj) = value else {
        return Err(ClientError::new(
            ErrorCode::InvalidPayload,
            "a message is a JSON object with a `type`",
        ));
    };
    let ty = match obj.get("type") {
        Some(Value::String(ty)) => ty.as_str(),
        _ => {
            return Err(ClientError::new(
                ErrorCode::InvalidPayload,
                "a message needs a string `type`",
            ))
        }
    };
    match ty {
        "ping" => Ok(Inbound::Ping),
        "user_message" => {
            let payload = match obj.remove("payload") {
                Some(Value::Object(p)) => p,
                _ => {
                    return Err(ClientError::new(
                        ErrorCode::InvalidPayload,
                        "`user_message` needs a `payload` object with `content`",
                    ))
                }
            };
            let content = match payload.get("content") {
                Some(Value::String(c)) if !c.trim().is_empty() => c.clone(),
                Some(Value::String(_)) => {
                    return Err(ClientError::new(
                        ErrorCode::InvalidPayload,
                        "`content` is empty",
                    ))
                }
                _ => {
                    return Err(ClientError::new(
                        ErrorCode::InvalidPayload,
                        "`payload.content` must be a string",
                    ))
                }
            };
            let mut message = UserMessage::new(content);
            match payload.get("thread_id") {
                None | Some(Value::Null) => {}
                Some(Value::String(t)) => {
                    let thread = ThreadId::new(t)
                        .map_err(|e| ClientError::new(ErrorCode::InvalidPayload, e.to_string()))?;
                    message = message.in_thread(thread);
                }
                Some(_) => {
                    return Err(ClientError::new(
                        ErrorCode::InvalidPayload,
                        "`payload.thread_id` must be a string",
                    ))
                }
            }
            match payload.get("agent") {
                None | Some(Value::Null) => {}
                Some(Value::String(a)) => message = message.for_agent(a.clone()),
                Some(_) => {
                    return Err(ClientError::new(
                        ErrorCode::InvalidPayload,
                        "`payload.agent` must be a string",
                    ))
                }
            }
            Ok(Inbound::UserMessage(message))
        }
        "cancel_run" => {
            let run_id = match obj.get("payload").and_then(|p| p.get("run_id")) {
                Some(Value::String(id)) => id,
                _ => {
                    return Err(ClientError::new(
                        ErrorCode::InvalidPayload,
                        "`cancel_run` needs a `payload` object with a string `run_id`",
                    ))
                }
            };
            RunId::new(run_id)
                .map(Inbound::CancelRun)
                .map_err(|e| ClientError::new(ErrorCode::InvalidPayload, e.to_string()))
        }
        other => Err(ClientError::new(
            ErrorCode::UnknownType,
            format!(
                "unknown message type `{}`; expected `user_message`, `cancel_run` or `ping`",
                other.chars().take(64).collect::<String>()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_messages() {
        match parse(
            r#"{"type":"user_message","payload":{"content":"hi","thread_id":"t","agent":"a"}}"#,
        ) {
            Ok(Inbound::UserMessage(m)) => {
                assert_eq!(m.content, "hi");
                assert_eq!(m.thread_id.unwrap().as_str(), "t");
                assert_eq!(m.agent.as_deref(), Some("a"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse(r#"{"type":"ping"}"#), Ok(Inbound::Ping)));
        match parse(r#"{"type":"cancel_run","payload":{"run_id":"run_1"}}"#) {
            Ok(Inbound::CancelRun(id)) => assert_eq!(id.as_str(), "run_1"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn classifies_mistakes() {
        let code = |s: &str| parse(s).unwrap_err().code.as_str();
        assert_eq!(code("{nope"), "invalid_json");
        assert_eq!(code("[1]"), "invalid_payload");
        assert_eq!(code(r#"{"type":"dance"}"#), "unknown_type");
        assert_eq!(code(r#"{"type":"user_message"}"#), "invalid_payload");
        assert_eq!(
            code(r#"{"type":"user_message","payload":{"content":3}}"#),
            "invalid_payload"
        );
        assert_eq!(
            code(r#"{"type":"user_message","payload":{"content":" "}}"#),
            "invalid_payload"
        );
        assert_eq!(
            code(r#"{"type":"user_message","payload":{"content":"x","thread_id":""}}"#),
            "invalid_payload"
        );
        assert_eq!(code(r#"{"type":"cancel_run"}"#), "invalid_payload");
        assert_eq!(
            code(r#"{"type":"cancel_run","payload":{"run_id":7}}"#),
            "invalid_payload"
        );
        assert_eq!(
            code(r#"{"type":"cancel_run","payload":{"run_id":""}}"#),
            "invalid_payload"
        );
    }

    #[test]
    fn frames_are_json() {
        let e: Value =
            serde_json::from_str(&ClientError::new(ErrorCode::Internal, "a \"quote\"").to_frame())
                .unwrap();
        assert_eq!(e["payload"]["message"], "a \"quote\"");
        let hello = |recovery| {
            let frame = Hello {
                connection: "c1",
                user: "alice",
                epoch: "e1",
                seq: 7,
                recovery,
            }
            .to_frame();
            serde_json::from_str::<Value>(&frame).unwrap()["payload"].clone()
        };
        assert_eq!(
            hello(None),
            serde_json::json!({"connection_id": "c1", "user_id": "alice", "epoch": "e1", "seq": 7})
        );
        assert_eq!(hello(Some((true, Some(0))))["recovered"], true);
        assert_eq!(
            hello(Some((false, None))),
            serde_json::json!({"connection_id": "c1", "user_id": "alice", "epoch": "e1", "seq": 7, "recovered": false})
        );
    }

    mod decoder {
        use super::*;
        use proptest::prelude::*;

        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                ".{0,12}".prop_map(Value::String),
            ];
            leaf.prop_recursive(3, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::btree_map(
                        prop_oneof![
                            Just("type".to_owned()),
                            Just("payload".to_owned()),
                            Just("content".to_owned()),
                            ".{0,6}"
                        ],
                        inner,
                        0..4
                    )
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #[test]
            fn any_text_is_a_message_or_a_classified_mistake(text in ".{0,64}") {
                match parse(&text) {
                    Ok(_) => prop_assert!(serde_json::from_str::<Value>(&text).is_ok()),
                    Err(e) => {
                        let is_json = serde_json::from_str::<Value>(&text).is_ok();
                        prop_assert_eq!(e.code == ErrorCode::InvalidJson, !is_json);
                    }
                }
            }

            #[test]
            fn any_json_is_a_message_or_a_classified_mistake(value in json_value()) {
                let text = value.to_string();
                match parse(&text) {
                    Ok(Inbound::Ping) => prop_assert_eq!(&value["type"], "ping"),
                    Ok(Inbound::CancelRun(id)) => {
                        prop_assert_eq!(&value["type"], "cancel_run");
                        prop_assert_eq!(&value["payload"]["run_id"], id.as_str());
                    }
                    Ok(Inbound::UserMessage(m)) => {
                        prop_assert_eq!(&value["type"], "user_message");
                        prop_assert_eq!(&value["payload"]["content"], m.content.as_str());
                        prop_assert!(!m.content.trim().is_empty());
                    }
                    Err(e) => {
                        prop_assert_ne!(e.code, ErrorCode::InvalidJson);
                        let known = matches!(value.get("type").and_then(Value::as_str), Some("ping" | "user_message" | "cancel_run"));
                        let has_type = value.get("type").is_some_and(Value::is_string);
                        prop_assert_eq!(e.code == ErrorCode::UnknownType, has_type && !known);
                        // The error frame is JSON whatever the message quotes.
                        prop_assert!(serde_json::from_str::<Value>(&e.to_frame()).is_ok());
                    }
                }
            }

            #[test]
            fn valid_user_messages_round_trip(
                content in "[^\\s].{0,40}",
                thread in proptest::option::of("[a-z0-9-]{1,16}"),
                agent in proptest::option::of("[a-z_]{1,16}"),
            ) {
                let mut payload = serde_json::json!({ "content": content });
                if let Some(t) = &thread { payload["thread_id"] = t.as_str().into(); }
                if let Some(a) = &agent { payload["agent"] = a.as_str().into(); }
                let text = serde_json::json!({ "type": "user_message", "payload": payload }).to_string();
                match parse(&text) {
                    Ok(Inbound::UserMessage(m)) => {
                        prop_assert_eq!(m.content, content);
                        prop_assert_eq!(m.thread_id.map(|t| t.as_str().to_owned()), thread);
                        prop_assert_eq!(m.agent, agent);
                    }
                    other => prop_assert!(false, "{:?}", other),
                }
            }
        }
    }
}
