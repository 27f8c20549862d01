//! A connection's reader: client messages, pings, the rate limit and the
//! token's expiry. It ends with a typed reason; the writer says goodbye.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::{self, Message};

use super::conn::{End, Source};
use super::protocol::{self, ClientError, ErrorCode, Inbound};
use super::writer::Control;
use super::{runs, CloseCode, Shared};
use crate::UserId;

/// Inbound messages allowed per connection (per user for HTTP `POST`s):
/// a token bucket.
pub(crate) struct RateLimit {
    tokens: f64,
    per_second: f64,
    burst: f64,
    last: Instant,
}

impl RateLimit {
    pub(crate) fn new(per_second: u32, burst: u32) -> Self {
        RateLimit {
            tokens: f64::from(burst),
            per_second: f64::from(per_second),
            burst: f64::from(burst),
            last: Instant::now(),
        }
    }

    fn take(&mut self) -> Result<(), End> {
        if self.allow() {
            Ok(())
        } else {
            Err(End::Close(CloseCode::RateLimited))
        }
    }

    /// Takes a token if there is one.
    pub(crate) fn allow(&mut self) -> bool {
        self.refill();
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether the bucket is full again: nothing is lost by forgetting it.
    pub(crate) fn is_full(&mut self) -> bool {
        self.refill();
        self.tokens >= self.burst
    }

    fn refill(&mut self) {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.last = now;
    }
}

pub(crate) struct Reader<'a> {
    pub(crate) shared: &'a Arc<Shared>,
    pub(crate) user: &'a UserId,
    pub(crate) control: &'a mpsc::Sender<Control>,
    pub(crate) expires_at: SystemTime,
}

impl Reader<'_> {
    /// Reads until the connection should end, and says why.
    pub(crate) async fn run(
        &self,
        source: &mut Source,
        writer: &mut JoinHandle<()>,
    ) -> Result<Infallible, End> {
        let cfg = &self.shared.config;
        let mut limit = RateLimit::new(cfg.rate_per_second, cfg.rate_burst);
        let mut pings = tokio::time::interval(cfg.ping_interval);
        pings.tick().await;
        let mut last_heard = Instant::now();
        let expiry = tokio::time::sleep_until(instant_of(self.expires_at));
        tokio::pin!(expiry);
        loop {
            tokio::select! {
                // The writer ended on its own: the peer is gone or was
                // told why.
                _ = &mut *writer => return Err(End::Gone),
                _ = &mut expiry => return Err(End::Close(CloseCode::TokenExpired)),
                _ = pings.tick() => {
                    if last_heard.elapsed() > cfg.ping_interval + cfg.pong_timeout {
                        return Err(End::Close(CloseCode::Policy));
                    }
                    let _ = self.control.try_send(Control::Ping);
                }
                message = source.next() => {
                    last_heard = Instant::now();
                    self.receive(message, &mut limit).await?;
                }
            }
        }
    }

    async fn receive(
        &self,
        message: Option<Result<Message, tungstenite::Error>>,
        limit: &mut RateLimit,
    ) -> Result<(), End> {
        let text = match message.ok_or(End::Gone)?.map_err(read_error)? {
            Message::Text(text) => text,
            Message::Binary(_) => {
                limit.take()?;
                let err = ClientError::new(ErrorCode::Unsupported, "send JSON in text frames");
                self.reply(err.to_frame());
                return Ok(());
            }
            Message::Close(_) => return Err(End::Close(CloseCode::Normal)),
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return Ok(()),
        };
        limit.take()?;
        let reply = match protocol::parse(text.as_str()) {
            Ok(Inbound::Ping) => Some(protocol::PONG.to_owned()),
            Ok(Inbound::UserMessage(message)) => runs::start(self.shared, self.user, message)
                .await
                .err()
                .map(|e| e.to_frame()),
            Ok(Inbound::CancelRun(id)) => runs::cancel(self.shared, self.user, &id)
                .await
                .err()
                .map(|e| e.to_frame()),
            Err(e) => Some(e.to_frame()),
        };
        if let Some(reply) = reply {
            self.reply(reply);
        }
        Ok(())
    }

    /// Replies are dropped if the writer is this far behind: the client is
    /// not reading them either.
    fn reply(&self, text: String) {
        let _ = self.control.try_send(Control::Text(text));
    }
}

/// What a read error means for the connection, as RFC 6455 §7.4.1 has it.
fn read_error(e: tungstenite::Error) -> End {
    match e {
        tungstenite::Error::Capacity(_) => End::Close(CloseCode::TooBig),
        tungstenite::Error::Utf8(_) => End::Close(CloseCode::InvalidData),
        tungstenite::Error::Protocol(_) => End::Close(CloseCode::ProtocolError),
        _ => End::Gone,
    }
}

/// The monotonic instant of a wall-clock time (now, if it has passed).
pub(crate) fn instant_of(at: SystemTime) -> tokio::time::Instant {
    let left = at.duration_since(SystemTime::now()).unwrap_or_default();
    // Far-future expiries are capped so the addition cannot overflow.
    tokio::time::Instant::now() + left.min(std::time::Duration::from_secs(10 * 365 * 86_400))
}
