//! Both servers behind one face: a [`Served`] server and the [`Producer`]
//! that emits one user's events through agentwire or the baseline.

use std::sync::Arc;
use std::time::Instant;

use agentwire::prelude::*;
use agentwire::server::{Server, ServerConfig};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::baseline::{base_accept, base_id, BaseRegistry, BaseRun, BaseUser};
use crate::{auth, now_ns, Kind, REASONING};

pub(crate) enum Target {
    Agentwire { hub: Hub, _server: Server },
    Mounted(Hub),
    Baseline(Arc<BaseRegistry>),
}

pub(crate) struct Served {
    target: Target,
    pub(crate) url: String,
}

impl Served {
    /// agentwire's endpoint mounted in an axum `Router` at `/ws`, served by
    /// `axum::serve`; the baseline as [`Served::start`] has it.
    pub(crate) async fn start_mounted(kind: Kind) -> Served {
        if kind == Kind::Baseline {
            return Served::start(kind).await;
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let hub = crate::hub_builder()
            .agent(crate::burst::bench_agent)
            .build()
            .unwrap();
        let ws = hub.ws_service(ServerConfig::new(auth())).unwrap();
        let app = axum::Router::new().route_service("/ws", ws);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Served {
            target: Target::Mounted(hub),
            url: format!("ws://{addr}/ws"),
        }
    }

    pub(crate) async fn start(kind: Kind) -> Served {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let target = match kind {
            Kind::Agentwire => {
                let hub = crate::hub_builder()
                    .agent(crate::burst::bench_agent)
                    .build()
                    .unwrap();
                let server = hub
                    .serve(listener, ServerConfig::new(auth()))
                    .await
                    .unwrap();
                Target::Agentwire {
                    hub,
                    _server: server,
                }
            }
            Kind::Baseline => {
                let registry = Arc::new(BaseRegistry::new());
                tokio::spawn(base_accept(listener, registry.clone()));
                Target::Baseline(registry)
            }
        };
        Served {
            target,
            url: format!("ws://{addr}/ws"),
        }
    }

    pub(crate) async fn producer(&self, user: &str) -> Producer {
        match &self.target {
            Target::Agentwire { hub, .. } | Target::Mounted(hub) => {
                Producer::agentwire(hub, user).await
            }
            Target::Baseline(registry) => Producer::Baseline(registry.user(user)),
        }
    }
}

/// Emits one user's events, through agentwire or the baseline.
pub(crate) enum Producer {
    Agentwire(AgentBridge),
    Baseline(Arc<BaseUser>),
}

pub(crate) enum RunHandle {
    Agentwire(Run),
    Baseline(BaseRun),
}

#[derive(Serialize)]
pub(crate) struct Started<'a> {
    message: &'a str,
}

#[derive(Serialize)]
pub(crate) struct Thinking<'a> {
    pub(crate) reasoning: &'a str,
}

#[derive(Serialize)]
pub(crate) struct ToolExecuting<'a> {
    pub(crate) tool_call_id: &'a str,
    pub(crate) tool_name: &'a str,
    pub(crate) parameters: Value,
}

#[derive(Serialize)]
pub(crate) struct ToolCompleted<'a> {
    pub(crate) tool_call_id: &'a str,
    pub(crate) tool_name: &'a str,
    pub(crate) status: &'a str,
    pub(crate) result: Value,
    pub(crate) execution_time_ms: u64,
}

#[derive(Serialize)]
pub(crate) struct Completed<'a> {
    pub(crate) status: &'a str,
    pub(crate) result: Value,
    pub(crate) execution_time_ms: u64,
}

impl Producer {
    pub(crate) async fn agentwire(hub: &Hub, user: &str) -> Producer {
        let ctx = UserExecutionContext::new(
            UserId::new(user).unwrap(),
            ThreadId::new("thread-1").unwrap(),
        );
        let manager = hub.factory().create_manager(&ctx).await.unwrap();
        Producer::Agentwire(manager.bridge())
    }

    pub(crate) fn start(&self, stamp: u64) -> RunHandle {
        let message = format!("{stamp} on it");
        match self {
            Producer::Agentwire(bridge) => RunHandle::Agentwire(emit!(
                bridge,
                agent_started {
                    agent_name: "bench",
                    message
                }
            )),
            Producer::Baseline(user) => {
                let run = BaseRun::new(&user.name);
                user.send(&run, "agent_started", &Started { message: &message });
                RunHandle::Baseline(run)
            }
        }
    }

    pub(crate) fn think(&self, run: &RunHandle, stamp: u64) {
        let reasoning = format!("{stamp} {REASONING}");
        match (self, run) {
            (Producer::Agentwire(_), RunHandle::Agentwire(run)) => {
                emit!(run, agent_thinking { reasoning })
            }
            (Producer::Baseline(user), RunHandle::Baseline(run)) => user.send(
                run,
                "agent_thinking",
                &Thinking {
                    reasoning: &reasoning,
                },
            ),
            _ => unreachable!(),
        }
    }

    /// `agent_thinking` with a fixed text: the in-process cost of one event.
    pub(crate) fn think_fixed(&self, run: &RunHandle) {
        match (self, run) {
            (Producer::Agentwire(_), RunHandle::Agentwire(run)) => {
                emit!(
                    run,
                    agent_thinking {
                        reasoning: REASONING
                    }
                )
            }
            (Producer::Baseline(user), RunHandle::Baseline(run)) => user.send(
                run,
                "agent_thinking",
                &Thinking {
                    reasoning: REASONING,
                },
            ),
            _ => unreachable!(),
        }
    }

    /// `tool_executing` then `tool_completed`.
    pub(crate) fn tool(&self, run: &RunHandle, stamp: u64) {
        match (self, run) {
            (Producer::Agentwire(_), RunHandle::Agentwire(run)) => {
                let call = emit!(
                    run,
                    tool_executing {
                        tool_name: "search",
                        parameters: json!({ "t": stamp, "q": "gpu prices" })
                    }
                );
                emit!(
                    call,
                    tool_completed {
                        result: json!({ "t": now_ns(), "hits": 3 })
                    }
                );
            }
            (Producer::Baseline(user), RunHandle::Baseline(run)) => {
                let call_id = base_id("call");
                let started = Instant::now();
                user.send(
                    run,
                    "tool_executing",
                    &ToolExecuting {
                        tool_call_id: &call_id,
                        tool_name: "search",
                        parameters: json!({ "t": stamp, "q": "gpu prices" }),
                    },
                );
                user.send(
                    run,
                    "tool_completed",
                    &ToolCompleted {
                        tool_call_id: &call_id,
                        tool_name: "search",
                        status: "success",
                        result: json!({ "t": now_ns(), "hits": 3 }),
                        execution_time_ms: started.elapsed().as_millis() as u64,
                    },
                );
            }
            _ => unreachable!(),
        }
    }

    pub(crate) fn complete(&self, run: RunHandle, stamp: u64) {
        match (self, run) {
            (Producer::Agentwire(_), RunHandle::Agentwire(run)) => {
                emit!(
                    run,
                    agent_completed {
                        result: json!({ "t": stamp })
                    }
                )
            }
            (Producer::Baseline(user), RunHandle::Baseline(run)) => user.send(
                &run,
                "agent_completed",
                &Completed {
                    status: "completed",
                    result: json!({ "t": stamp }),
                    execution_time_ms: run.started.elapsed().as_millis() as u64,
                },
            ),
            _ => unreachable!(),
        }
    }
}
