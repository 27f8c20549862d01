//! Shared by the end-to-end tests: a real server on loopback, real JWTs,
//! real WebSocket clients.
#![allow(dead_code)]

use std::time::Duration;

use agentwire::prelude::*;
use agentwire::server::{JwtAuth, Server, ServerConfig};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const SECRET: &str = "end-to-end-test-secret";
pub const WAIT: Duration = Duration::from_secs(20);

/// Thinks, calls `search`, and answers with the message; "fail" in the
/// message makes the tool and the run fail.
#[agent(name = "researcher")]
pub async fn researcher(run: &Run, msg: UserMessage) -> Result<Value, AgentError> {
    emit!(
        run,
        agent_thinking {
            reasoning: format!("Reading: {}", msg.content)
        }
    );
    let call = emit!(
        run,
        tool_executing {
            tool_name: "search",
            parameters: json!({ "q": msg.content })
        }
    );
    tokio::task::yield_now().await;
    if msg.content.contains("fail") {
        emit!(
            call,
            tool_completed {
                error: "search refused"
            }
        );
        return Err(AgentError::new(format!(
            "could not research {}",
            msg.content
        )));
    }
    emit!(
        call,
        tool_completed {
            result: json!({ "hits": 3, "q": msg.content })
        }
    );
    Ok(json!({ "answer": format!("3 offers for {}", msg.content) }))
}

#[agent(name = "panicker")]
pub async fn panicker(run: &Run, _msg: UserMessage) -> Result<Value, AgentError> {
    emit!(
        run,
        agent_thinking {
            reasoning: "about to panic"
        }
    );
    panic!("handler exploded");
}

/// Opens a tool call and never finishes: only cancellation ends it.
#[agent(name = "sleeper")]
pub async fn sleeper(run: &Run, _msg: UserMessage) -> Result<Value, AgentError> {
    let _call = emit!(
        run,
        tool_executing {
            tool_name: "wait_forever"
        }
    );
    std::future::pending::<()>().await;
    Ok(Value::Null)
}

pub fn auth() -> JwtAuth {
    JwtAuth::hs256(SECRET).unwrap()
}

pub fn token(user: &str) -> String {
    auth()
        .issue(&UserId::new(user).unwrap(), Duration::from_secs(600))
        .unwrap()
}

pub fn config() -> ServerConfig {
    ServerConfig::new(auth())
}

pub struct TestServer {
    pub hub: Hub,
    pub server: Server,
    pub url: String,
}

pub async fn start(config: ServerConfig) -> TestServer {
    let hub = Hub::builder()
        .agent(researcher)
        .agent(panicker)
        .agent(sleeper)
        .build()
        .unwrap();
    start_hub(hub, config).await
}

pub async fn start_hub(hub: Hub, config: ServerConfig) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = hub.serve(listener, config).await.unwrap();
    let url = format!("ws://{}/ws", server.local_addr());
    TestServer { hub, server, url }
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct Client {
    pub ws: Ws,
    pub user: String,
    pub connection_id: String,
}

impl Client {
    /// Connects with `Authorization: Bearer` and reads `connection_established`.
    pub async fn connect(url: &str, user: &str) -> Client {
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "Authorization",
            HeaderValue::from_str(&format!("Bearer {}", token(user))).unwrap(),
        );
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("connect");
        Client::established(ws, user).await
    }

    pub async fn established(ws: Ws, user: &str) -> Client {
        let mut client = Client {
            ws,
            user: user.to_owned(),
            connection_id: String::new(),
        };
        let hello = client.recv().await;
        assert_eq!(hello["type"], "connection_established", "{hello}");
        assert_eq!(hello["payload"]["user_id"], user);
        client.connection_id = hello["payload"]["connection_id"]
            .as_str()
            .unwrap()
            .to_owned();
        client
    }

    pub async fn send(&mut self, value: Value) {
        self.ws
            .send(Message::text(value.to_string()))
            .await
            .unwrap();
    }

    pub async fn send_message(&mut self, content: &str) {
        self.send(json!({ "type": "user_message", "payload": { "content": content } }))
            .await;
    }

    pub async fn send_to(&mut self, agent: &str, content: &str) {
        self.send(
            json!({ "type": "user_message", "payload": { "content": content, "agent": agent } }),
        )
        .await;
    }

    /// The next JSON frame; panics on close or timeout.
    pub async fn recv(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("timed out waiting for a frame")
                .expect("connection ended")
                .expect("websocket error");
            match frame {
                Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
                Message::Close(close) => panic!("unexpected close: {close:?}"),
                _ => continue,
            }
        }
    }

    /// Events up to and including the next `agent_completed`.
    pub async fn recv_run(&mut self) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let event = self.recv().await;
            let done = event["type"] == "agent_completed";
            events.push(event);
            if done {
                return events;
            }
        }
    }

    /// Reads until the server's close frame and returns it (text frames
    /// before it are returned too).
    pub async fn recv_close(&mut self) -> (Vec<Value>, Option<CloseFrame>) {
        let mut before = Vec::new();
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("timed out waiting for close");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    before.push(serde_json::from_str(text.as_str()).unwrap())
                }
                Some(Ok(Message::Close(close))) => return (before, close),
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("error before a close frame: {e}"),
                None => return (before, None),
            }
        }
    }
}

pub fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}
