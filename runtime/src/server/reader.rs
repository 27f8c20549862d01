//! A connection's inbound side: client messages and the rate limit.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio_tungstenite::tungstenite::{self, Message};

use super::conn::End;
use super::protocol::{self, ClientError, ErrorCode, Inbound};
use super::writer::{Control, Out};
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
    pub(crate) limit: RateLimit,
}

impl Reader<'_> {
    /// Handles one inbound message; replies go out through `out`.
    pub(crate) async fn receive(
        &mut self,
        message: Option<Result<Message, tungstenite::Error>>,
        out: &mut Out,
    ) -> Result<(), End> {
        let text = match message.ok_or(End::Gone)?.map_err(read_error)? {
            Message::Text(text) => text,
            Message::Binary(_) => {
                self.limit.take()?;
                let err = ClientError::new(ErrorCode::Unsupported, "send JSON in text frames");
                out.reply(Control::Text(err.to_frame()));
                return Ok(());
            }
            Message::Close(_) => return Err(End::Close(CloseCode::Normal)),
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return Ok(()),
        };
        self.limit.take()?;
        let reply = match protocol::parse(text.as_str()) {
            Ok(Inbound::Ping) => Some(protocol::PONG.to_owned()),
            Ok(Inbound::UserMessage(message)) => {
                // The tab that starts a run is served first when it emits.
                out.focus();
                runs::start(self.shared, self.user, message)
                    .await
                    .err()
                    .map(|e| e.to_frame())
            }
            Ok(Inbound::CancelRun(id)) => runs::cancel(self.shared, self.user, &id)
                .await
                .err()
                .map(|e| e.to_frame()),
            Err(e) => Some(e.to_frame()),
        };
        if let Some(reply) = reply {
            out.reply(Control::Text(reply));
        }
        Ok(())
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
