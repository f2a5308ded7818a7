//! `GET /api/v1/pos/orders/stream`: the floor's live feed. The kitchen's feed carries whole
//! tickets for the cooks; the front of house needs less and sooner: which order (number, table)
//! is now in which state, so the floor screen announces a ready order the moment the kitchen
//! bumps it and every till's list of open orders moves without a reload. Same change table, same
//! ids and resumption as the kitchen's feed (see [`crate::feeds`]).

use crate::access::Access::Roles;
use crate::access::FRONT_OF_HOUSE;
use crate::auth::extract::Caller;
use crate::error::ApiError;
use crate::feeds::{Feed, message};
use crate::http::responses::{CallerErrors, ReadErrors};
use crate::routes::Routes;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use brigade_domain::order::OrderType;
use brigade_projections::models::ticket::{Ticket, TicketStatus};
use brigade_projections::reports::kitchen::KitchenChange;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;
use uuid::Uuid;

/// Where to resume.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FloorQuery {
    /// Resume after this change id (as the `Last-Event-ID` header does).
    last_event_id: Option<String>,
}

/// An order's new state, as the front of house sees it.
#[derive(Serialize, ToSchema)]
pub struct OrderStateChange {
    /// The global position of the event that made it (`after=` this on a read shows it).
    position: i64,
    /// The order.
    order_id: Uuid,
    /// Its number, as called out at the pass.
    number: u32,
    /// Its table (none for takeout and delivery).
    table: Option<u16>,
    /// Dine-in, takeout or delivery.
    order_type: OrderType,
    /// Where the order is now: `queued` (sent), `cooking`, `ready` (bumped: take it to the
    /// table), `recalled`, `served`, `cancelled`.
    status: TicketStatus,
    /// What happened: `sent`, `started`, `line_ready`, `completed`, `recalled`, `priority`,
    /// `served`, `cancelled`.
    change: String,
    /// When it happened.
    at: DateTime<Utc>,
}

fn state_of(change: &KitchenChange) -> Option<OrderStateChange> {
    // Read in place: the change's ticket is not copied for each connection that sends it.
    let ticket = Ticket::deserialize(&change.ticket).ok()?;
    Some(OrderStateChange {
        position: change.position,
        order_id: change.order_id,
        number: ticket.number,
        table: ticket.table,
        order_type: ticket.order_type,
        status: ticket.status,
        change: change.change.clone(),
        at: change.at,
    })
}

/// Live order states for the front of house as Server-Sent Events: `event` is the new status
/// (`ready` is the one to announce), `data` an [`OrderStateChange`], `id` its place in the log
/// (send it back as `Last-Event-ID`).
#[utoipa::path(get, path = "/api/v1/pos/orders/stream", tag = "pos", security(("bearer" = [])),
    params(FloorQuery, ("Last-Event-ID" = Option<String>, Header, description = "Resume after this change")),
    responses((status = 200, description = "An event stream of OrderStateChange messages", content_type = "text/event-stream", body = OrderStateChange),
              ReadErrors, CallerErrors))]
pub async fn stream(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query<FloorQuery>,
) -> Result<Response, ApiError> {
    let feed = Feed::resume(state, caller.0.org.0, None, &headers, query.last_event_id).await?;
    Ok(feed.into_response(|change| {
        let order = state_of(change)?;
        Some(message(change, order.status.as_str(), &order))
    }))
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new().add(routes!(stream), Roles(FRONT_OF_HOUSE))
}
