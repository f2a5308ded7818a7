//! The live feeds, as Server-Sent Events: the kitchen's (each ticket change, for the screens of
//! one station or the expo) and the floor's (each order's state, for the front of house). Both
//! read the kitchen read model's change table, woken by the workers' checkpoint announcements, so
//! a screen sees a change a few milliseconds after the worker applied it. Every message's SSE id
//! is the place in the global log of the event that made it: a screen that reconnects with
//! `Last-Event-ID` gets exactly the changes after it, none lost and none twice.

use crate::error::ApiError;
use crate::http::problem::Problem;
use crate::state::AppState;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use brigade_eventstore::GlobalPosition;
use brigade_projections::reports::kitchen::{KitchenChange, changes_since, latest_change};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Where a feed starts: after the change the client names (the `Last-Event-ID` header its
/// EventSource sends on reconnecting, or the `last_event_id` parameter), else after the
/// organization's latest change (a new screen reads the queue itself first).
async fn resume_point(
    state: &AppState,
    tenant: Uuid,
    headers: &HeaderMap,
    parameter: Option<String>,
) -> Result<GlobalPosition, ApiError> {
    let given = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(parameter);
    match given {
        Some(id) => parse_id(&id).ok_or_else(|| {
            Problem::bad_request(format!(
                "last event id {id:?} is not an id this feed sent (<transaction>.<position>)"
            ))
            .into()
        }),
        None => Ok(latest_change(state.store.pool(), tenant).await?),
    }
}

/// An SSE id: `<transaction>.<position>` of the event that made the change.
fn parse_id(id: &str) -> Option<GlobalPosition> {
    let (transaction, position) = id.split_once('.')?;
    Some(GlobalPosition {
        transaction_id: transaction.parse().ok()?,
        position: position.parse().ok()?,
    })
}

/// The SSE message of a change: named `name`, carrying `data`, with the change's id.
pub fn message<T: Serialize>(change: &KitchenChange, name: &str, data: &T) -> Event {
    let id = format!("{}.{}", change.id.transaction_id, change.id.position);
    Event::default()
        .id(id)
        .event(name)
        .json_data(data)
        .unwrap_or_else(|_| Event::default().comment("unencodable change"))
}

/// A feed of one organization's changes (of one station, or all), from `after`.
pub struct Feed {
    state: Arc<AppState>,
    tenant: Uuid,
    station: Option<String>,
    after: GlobalPosition,
    woken: tokio::sync::watch::Receiver<HashMap<String, GlobalPosition>>,
    pending: VecDeque<KitchenChange>,
}

impl Feed {
    /// A feed of `station`'s changes (all, for `None`) where the client asks to resume (see
    /// [`resume_point`]).
    pub async fn resume(
        state: Arc<AppState>,
        tenant: Uuid,
        station: Option<String>,
        headers: &HeaderMap,
        last_event_id: Option<String>,
    ) -> Result<Self, ApiError> {
        let after = resume_point(&state, tenant, headers, last_event_id).await?;
        let woken = state.applied().await?.subscribe();
        Ok(Self {
            state,
            tenant,
            station,
            after,
            woken,
            pending: VecDeque::new(),
        })
    }

    /// The next change, waiting for one; `None` once the server shuts down.
    async fn next(&mut self) -> Option<KitchenChange> {
        loop {
            if let Some(change) = self.pending.pop_front() {
                self.after = change.id;
                return Some(change);
            }
            let pool = self.state.store.pool();
            match changes_since(pool, self.tenant, self.station.as_deref(), self.after, 200).await {
                Ok(batch) if !batch.is_empty() => {
                    self.pending.extend(batch);
                    continue;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "change feed read failed; again in 1 s"),
            }
            // Woken by a checkpoint announcement; a read every second as well, in case one was
            // missed (a listener reconnecting).
            tokio::select! {
                () = self.state.closing.cancelled() => return None,
                _ = self.woken.changed() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// The feed as an SSE response, each change made a message by `to_message` (`None` skips
    /// it), with a keep-alive comment every 15 s so proxies and screens see the line is up.
    pub fn into_response(self, to_message: fn(&KitchenChange) -> Option<Event>) -> Response {
        let events = futures_util::stream::unfold(self, move |mut feed| async move {
            loop {
                let change = feed.next().await?;
                if let Some(event) = to_message(&change) {
                    return Some((Ok::<Event, Infallible>(event), feed));
                }
            }
        });
        Sse::new(events)
            .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
            .into_response()
    }
}
