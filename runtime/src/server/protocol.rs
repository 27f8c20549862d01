//! Client → server messages, and the server's own frames.

use serde_json::Value;

use crate::wire;
use crate::{ThreadId, UserMessage};

/// What a client sent.
#[derive(Debug)]
pub(crate) enum Inbound {
    UserMessage(UserMessage),
    Ping,
}

/// Why a client's message was refused; the connection stays open.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ClientError {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl ClientError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        ClientError {
            code,
            message: message.into(),
        }
    }

    /// `{"type":"error","payload":{"code":..,"message":..}}`
    pub(crate) fn to_frame(&self) -> String {
        let mut out = Vec::with_capacity(64 + self.message.len());
        out.extend_from_slice(b"{\"type\":\"error\",\"payload\":{\"code\":");
        wire::push_str(&mut out, self.code);
        out.extend_from_slice(b",\"message\":");
        wire::push_str(&mut out, &self.message);
        out.extend_from_slice(b"}}");
        String::from_utf8_lossy(&out).into_owned()
    }
}

pub(crate) const PONG: &str = "{\"type\":\"pong\"}";

pub(crate) fn connection_established(connection: &str, user: &str) -> String {
    let mut out = Vec::with_capacity(96);
    out.extend_from_slice(b"{\"type\":\"connection_established\",\"payload\":{\"connection_id\":");
    wire::push_str(&mut out, connection);
    out.extend_from_slice(b",\"user_id\":");
    wire::push_str(&mut out, user);
    out.extend_from_slice(b"}}");
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn parse(text: &str) -> Result<Inbound, ClientError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ClientError::new("invalid_json", format!("not valid JSON: {e}")))?;
    let Value::Object(mut obj) = value else {
        return Err(ClientError::new(
            "invalid_payload",
            "a message is a JSON object with a `type`",
        ));
    };
    let ty = match obj.get("type") {
        Some(Value::String(ty)) => ty.as_str(),
        _ => {
            return Err(ClientError::new(
                "invalid_payload",
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
                        "invalid_payload",
                        "`user_message` needs a `payload` object with `content`",
                    ))
                }
            };
            let content = match payload.get("content") {
                Some(Value::String(c)) if !c.trim().is_empty() => c.clone(),
                Some(Value::String(_)) => {
                    return Err(ClientError::new("invalid_payload", "`content` is empty"))
                }
                _ => {
                    return Err(ClientError::new(
                        "invalid_payload",
                        "`payload.content` must be a string",
                    ))
                }
            };
            let mut message = UserMessage::new(content);
            match payload.get("thread_id") {
                None | Some(Value::Null) => {}
                Some(Value::String(t)) => {
                    let thread = ThreadId::new(t)
                        .map_err(|e| ClientError::new("invalid_payload", e.to_string()))?;
                    message = message.in_thread(thread);
                }
                Some(_) => {
                    return Err(ClientError::new(
                        "invalid_payload",
                        "`payload.thread_id` must be a string",
                    ))
                }
            }
            match payload.get("agent") {
                None | Some(Value::Null) => {}
                Some(Value::String(a)) => message = message.for_agent(a.clone()),
                Some(_) => {
                    return Err(ClientError::new(
                        "invalid_payload",
                        "`payload.agent` must be a string",
                    ))
                }
            }
            Ok(Inbound::UserMessage(message))
        }
        other => Err(ClientError::new(
            "unknown_type",
            format!(
                "unknown message type `{}`; expected `user_message` or `ping`",
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
    }

    #[test]
    fn classifies_mistakes() {
        let code = |s: &str| parse(s).unwrap_err().code;
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
    }

    #[test]
    fn frames_are_json() {
        let e: Value =
            serde_json::from_str(&ClientError::new("x", "a \"quote\"").to_frame()).unwrap();
        assert_eq!(e["payload"]["message"], "a \"quote\"");
        let c: Value = serde_json::from_str(&connection_established("c1", "alice")).unwrap();
        assert_eq!(c["payload"]["user_id"], "alice");
    }
}
