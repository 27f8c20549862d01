//! Bad identifiers and configurations are rejected with errors that say what
//! is wrong, never with a panic.

use agentwire::prelude::*;
use agentwire::{ConnectionId, Error, RequestId, RunId, ToolCallId, MAX_ID_LEN};

/// Builds one kind of identifier and returns its text.
type Validator = fn(&str) -> Result<String, Error>;

/// Every identifier type, by the name its errors use.
fn validators() -> Vec<(&'static str, Validator)> {
    vec![
        ("user id", |s| UserId::new(s).map(|id| id.to_string())),
        ("thread id", |s| ThreadId::new(s).map(|id| id.to_string())),
        ("run id", |s| RunId::new(s).map(|id| id.to_string())),
        ("tool call id", |s| {
            ToolCallId::new(s).map(|id| id.to_string())
        }),
        ("connection id", |s| {
            ConnectionId::new(s).map(|id| id.to_string())
        }),
        ("request id", |s| RequestId::new(s).map(|id| id.to_string())),
    ]
}

fn bad_values() -> Vec<(String, &'static str)> {
    vec![
        (String::new(), "empty"),
        ("x".repeat(MAX_ID_LEN + 1), "longer than 256 bytes"),
        // Bytes, not characters: 129 two-byte characters are 258 bytes.
        ("ü".repeat(129), "longer than 256 bytes"),
        ("al\nice".into(), "control characters"),
        ("alice\r".into(), "control characters"),
        ("al\tice".into(), "control characters"),
        ("al\u{0}ice".into(), "control characters"),
        ("al\u{1b}[31mice".into(), "control characters"),
        ("al\u{7f}ice".into(), "control characters"),
        ("al\u{85}ice".into(), "control characters"),
        (" alice".into(), "whitespace"),
        ("alice ".into(), "whitespace"),
        ("\u{a0}alice".into(), "whitespace"),
        ("alice\u{3000}".into(), "whitespace"),
        ("   ".into(), "whitespace"),
    ]
}

#[test]
fn bad_identifiers_are_rejected_with_the_reason() {
    for (kind, validate) in validators() {
        for (value, reason) in bad_values() {
            let err = match validate(&value) {
                Ok(id) => panic!("{kind} {value:?} was accepted as {id:?}"),
                Err(err) => err,
            };
            match &err {
                Error::InvalidId { kind: k, .. } => assert_eq!(*k, kind),
                other => panic!("{kind} {value:?}: expected InvalidId, got {other:?}"),
            }
            let message = err.to_string();
            assert!(
                message.contains(kind) && message.contains(reason),
                "the message for {kind} {value:?} says what is wrong: {message}"
            );
            assert!(
                message.len() < 200,
                "the message stays short for a long value: {message}"
            );
        }
    }
}

#[test]
fn good_identifiers_are_kept_as_given() {
    let good = [
        "alice".to_owned(),
        "a".to_owned(),
        "alice smith".to_owned(),
        "al\"ice\\".to_owned(),
        "ünïcödé ✓ 🚀".to_owned(),
        "550e8400-e29b-41d4-a716-446655440000".to_owned(),
        "x".repeat(MAX_ID_LEN),
        "ü".repeat(MAX_ID_LEN / 2),
    ];
    for (kind, validate) in validators() {
        for value in &good {
            assert_eq!(validate(value).unwrap(), *value, "{kind} {value:?}");
        }
    }
}

#[test]
fn every_way_to_build_an_id_validates() {
    assert!("".parse::<UserId>().is_err());
    assert!(" bob".parse::<ThreadId>().is_err());
    assert!(UserId::try_from("a\nb").is_err());
    assert!(UserId::try_from(String::new()).is_err());
    assert!(ThreadId::try_from("x".repeat(MAX_ID_LEN + 1)).is_err());
    assert_eq!("bob".parse::<UserId>().unwrap().as_str(), "bob");
    assert_eq!(
        UserId::try_from("bob".to_owned()).unwrap(),
        UserId::new("bob").unwrap()
    );
    // Distinct types: the same text as a user and as a thread are never mixed up.
    let user = UserId::new("x").unwrap();
    assert_eq!(format!("{user:?}"), "UserId(\"x\")");
    assert_eq!(format!("{}", ThreadId::new("x").unwrap()), "x");
}

#[test]
fn contexts_are_built_from_validated_ids() {
    fn build(user: &str, thread: &str) -> Result<UserExecutionContext, Error> {
        Ok(UserExecutionContext::new(
            UserId::new(user)?,
            ThreadId::new(thread)?,
        ))
    }
    let err = build("alice", "").unwrap_err();
    assert!(err.to_string().contains("thread id"), "{err}");
    let err = build(" alice", "t").unwrap_err();
    assert!(err.to_string().contains("user id"), "{err}");
    let err = RequestId::new("req\n1").unwrap_err();
    assert!(err.to_string().contains("request id"), "{err}");

    let ctx = build("alice", "t")
        .unwrap()
        .with_request_id(RequestId::new("req-17").unwrap());
    assert_eq!(ctx.user_id().as_str(), "alice");
    assert_eq!(ctx.thread_id().as_str(), "t");
    assert_eq!(ctx.request_id().map(|r| r.as_str()), Some("req-17"));
}

#[tokio::test]
async fn a_manager_is_bound_to_its_context() {
    let hub = Hub::builder().build().unwrap();
    let ctx = UserExecutionContext::new(UserId::new("alice").unwrap(), ThreadId::new("t").unwrap());
    let manager = hub.factory().create_manager(&ctx).await.unwrap();
    assert_eq!(manager.context(), &ctx);
    assert_eq!(manager.bridge().user_id(), ctx.user_id());
    assert_eq!(manager.bridge().thread_id(), ctx.thread_id());
}

#[agent(name = "twin")]
async fn first_twin(_run: &Run, _msg: UserMessage) -> Result<(), AgentError> {
    Ok(())
}

#[agent(name = "twin")]
async fn second_twin(_run: &Run, _msg: UserMessage) -> Result<(), AgentError> {
    Ok(())
}

#[agent]
async fn third_agent(_run: &Run, _msg: UserMessage) -> Result<(), AgentError> {
    Ok(())
}

#[test]
fn the_hub_builder_rejects_bad_configuration() {
    let err = Hub::builder()
        .agent(first_twin)
        .agent(third_agent)
        .agent(second_twin)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("`twin`") && message.contains("unique"),
        "the message names the duplicate: {message}"
    );

    let err = Hub::builder().subscriber_capacity(0).build().unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("subscriber_capacity"), "{err}");

    let hub = Hub::builder()
        .agent(first_twin)
        .agent(third_agent)
        .subscriber_capacity(1)
        .replay_capacity(0)
        .build()
        .expect("distinct names and non-zero capacity are fine");
    assert_eq!(
        hub.agent_names().collect::<Vec<_>>(),
        ["twin", "third_agent"]
    );
}
