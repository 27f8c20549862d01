//! What the golden path binaries share: the demo agent and a small client.
#![allow(dead_code)]

use agentwire::prelude::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// The demo agent: thinks, calls a `search` tool, and answers with a result
/// that mentions the message. A message containing "fail" makes the tool fail.
#[agent(name = "researcher")]
pub async fn researcher(run: &Run, msg: UserMessage) -> Result<Value, AgentError> {
    emit!(
        run,
        agent_thinking {
            reasoning: format!("Reading: {}", msg.content),
            step_number: 1u32
        }
    );
    let call = emit!(
        run,
        tool_executing {
            tool_name: "search",
            parameters: json!({ "q": msg.content })
        }
    );
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    if msg.content.to_lowercase().contains("fail") {
        emit!(
            call,
            tool_completed {
                error: "the search backend refused the query"
            }
        );
        return Err(AgentError::new(format!(
            "could not research \"{}\"",
            msg.content
        )));
    }
    let hits: Vec<String> = msg
        .content
        .split_whitespace()
        .map(|w| format!("result for {w}"))
        .collect();
    emit!(
        call,
        tool_completed {
            result: json!({ "hits": hits.len(), "items": hits })
        }
    );
    emit!(
        run,
        agent_thinking {
            reasoning: "Summarising",
            step_number: 2u32,
            progress_percentage: 90.0
        }
    );
    Ok(json!({ "answer": format!("found {} results for \"{}\"", hits.len(), msg.content) }))
}

/// One line per event, readable without colours.
pub fn describe(event: &Value) -> String {
    let ty = event["type"].as_str().unwrap_or("?");
    let p = &event["payload"];
    let detail = match ty {
        "connection_established" => {
            format!("connection {}", p["connection_id"].as_str().unwrap_or("?"))
        }
        "agent_started" => format!("agent {}", event["agent_name"].as_str().unwrap_or("?")),
        "agent_thinking" => format!("\"{}\"", p["reasoning"].as_str().unwrap_or("")),
        "tool_executing" => format!(
            "{} {}",
            p["tool_name"].as_str().unwrap_or("?"),
            p["parameters"]
        ),
        "tool_completed" => match p["status"].as_str() {
            Some("success") => format!(
                "{} -> {}",
                p["tool_name"].as_str().unwrap_or("?"),
                p["result"]
            ),
            status => format!(
                "{} {} ({})",
                p["tool_name"].as_str().unwrap_or("?"),
                status.unwrap_or("?"),
                p["error"].as_str().unwrap_or("")
            ),
        },
        "agent_completed" => match p["status"].as_str() {
            Some("completed") => format!(
                "completed in {} ms: {}",
                p["execution_time_ms"], p["result"]
            ),
            status => format!(
                "{}: {}",
                status.unwrap_or("?"),
                p["error"].as_str().unwrap_or("")
            ),
        },
        "error" => format!(
            "{}: {}",
            p["code"].as_str().unwrap_or("?"),
            p["message"].as_str().unwrap_or("")
        ),
        _ => p.to_string(),
    };
    match event["seq"].as_u64() {
        Some(seq) => format!("#{seq:<3} {ty:<16} {detail}"),
        None => format!("     {ty:<16} {detail}"),
    }
}

/// Connects as the token's user, sends `message`, prints each event as it
/// arrives (prefixed with `label`) and returns the run's final status.
pub async fn chat(
    url: &str,
    token: &str,
    label: &str,
    message: &str,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert(
        "Authorization",
        HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    let frame = json!({ "type": "user_message", "payload": { "content": message } });
    ws.send(Message::text(frame.to_string())).await?;
    while let Some(frame) = ws.next().await {
        let text = match frame? {
            Message::Text(text) => text,
            Message::Close(close) => {
                return Err(format!("server closed the connection: {close:?}").into())
            }
            _ => continue,
        };
        let event: Value = serde_json::from_str(text.as_str())?;
        println!("{:<8}{}", format!("[{label}]"), describe(&event));
        match event["type"].as_str() {
            Some("agent_completed") => {
                let status = event["payload"]["status"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned();
                let _ = ws.close(None).await;
                return Ok(status);
            }
            Some("error") => return Err(describe(&event).into()),
            _ => {}
        }
    }
    Err("the connection ended before the run completed".into())
}
