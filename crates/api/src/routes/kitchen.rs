//! `/api/v1/kitchen`: the kitchen display. The queue per station (or the expo view), the cooks'
//! actions on a ticket (start, a line up, bump, recall, rush), and the live feed: Server-Sent
//! Events (see [`crate::feeds`]).

use crate::access::Access::Roles;
use crate::access::{FRONT_AND_KITCHEN, KITCHEN};
use crate::auth::extract::Caller;
use crate::commands::{CommandRequest, Written};
use crate::error::ApiError;
use crate::feeds::{Feed, message};
use crate::http::body::Body;
use crate::http::responses::{AfterErrors, CallerErrors, CommandErrors, JsonBodyErrors, ReadErrors};
use crate::routes::Routes;
use crate::state::AppState;
use crate::views::{Done, done};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use brigade_domain::ids::LineId;
use brigade_domain::order::{Order, OrderCommand};
use brigade_projections::models::ticket::TicketStatus;
use brigade_projections::reports::kitchen::{KitchenChange, KitchenScreen};
use chrono::Utc;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;
use uuid::Uuid;

/// Which screen.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// A station (`grill`, `bar`...); absent: the expo view of every ticket.
    station: Option<String>,
    /// Only tickets in this status (the screen shows `queued`, `cooking` and `recalled` ones).
    status: Option<TicketStatus>,
    /// Answer only once the kitchen read model has applied this global position (at most 2 s).
    #[serde(default, deserialize_with = "crate::views::position")]
    #[param(minimum = 0)]
    after: Option<i64>,
}

/// The queue: open tickets (rush first, then oldest), urgency colours, all-day counts, tickets
/// bumped in the last hour and average prep time per station.
#[utoipa::path(get, path = "/api/v1/kitchen/orders", tag = "kitchen", security(("bearer" = [])), params(QueueQuery),
    responses((status = 200, description = "The screen", body = KitchenScreen), ReadErrors, CallerErrors, AfterErrors))]
pub async fn queue(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<QueueQuery>,
) -> Result<Response, ApiError> {
    state.wait_after(query.after, &["kitchen_queue"]).await?;
    let station = query.station.as_deref().map(str::to_ascii_lowercase);
    let drawn = state
        .kitchen
        .screen(state.store.pool(), caller.0.org.0, station.as_deref(), Utc::now())
        .await
        .map_err(ApiError::internal)?;
    let Some(status) = query.status else {
        // The screen as drawn, already JSON: most reads of a screen are this one.
        return Ok(([(header::CONTENT_TYPE, "application/json")], drawn.json.clone()).into_response());
    };
    let mut screen = drawn.screen.clone();
    screen.tickets.retain(|t| t.status == status);
    Ok(Json(screen).into_response())
}

async fn order_command(state: &AppState, request: &CommandRequest, id: Uuid, command: OrderCommand) -> Done {
    done(request.run::<Order>(state, id, command).await)
}

/// A cook starts the ticket.
#[utoipa::path(post, path = "/api/v1/kitchen/orders/{id}/start", tag = "kitchen", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses((status = 200, description = "Started", body = Written), CallerErrors, CommandErrors))]
pub async fn start(State(state): State<Arc<AppState>>, request: CommandRequest, Path(id): Path<Uuid>) -> Done {
    order_command(&state, &request, id, OrderCommand::StartTicket).await
}

/// A line is up at the pass (the last one makes the order ready).
#[utoipa::path(post, path = "/api/v1/kitchen/orders/{id}/items/{line_id}/ready", tag = "kitchen", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order"), ("line_id" = Uuid, Path, description = "The line")),
    responses((status = 200, description = "Ready", body = Written), CallerErrors, CommandErrors))]
pub async fn line_ready(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path((id, line_id)): Path<(Uuid, Uuid)>,
) -> Done {
    order_command(&state, &request, id, OrderCommand::MarkLineReady(LineId(line_id))).await
}

/// The expo bumps the ticket: every line is up.
#[utoipa::path(post, path = "/api/v1/kitchen/orders/{id}/complete", tag = "kitchen", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses((status = 200, description = "Bumped", body = Written), CallerErrors, CommandErrors))]
pub async fn complete(State(state): State<Arc<AppState>>, request: CommandRequest, Path(id): Path<Uuid>) -> Done {
    order_command(&state, &request, id, OrderCommand::CompleteTicket).await
}

/// A bumped ticket comes back to the screens.
#[utoipa::path(post, path = "/api/v1/kitchen/orders/{id}/recall", tag = "kitchen", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses((status = 200, description = "Recalled", body = Written), CallerErrors, CommandErrors))]
pub async fn recall(State(state): State<Arc<AppState>>, request: CommandRequest, Path(id): Path<Uuid>) -> Done {
    order_command(&state, &request, id, OrderCommand::RecallTicket).await
}

/// Rush or not.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityBody {
    /// A rush ticket goes before all others.
    rush: bool,
}

/// Sets the ticket's priority.
#[utoipa::path(put, path = "/api/v1/kitchen/orders/{id}/priority", tag = "kitchen", request_body = PriorityBody, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses((status = 200, description = "Set", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn priority(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    Body(body): Body<PriorityBody>,
) -> Done {
    order_command(&state, &request, id, OrderCommand::SetPriority { rush: body.rush }).await
}

/// Which feed.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// A station; absent: every change (expo).
    station: Option<String>,
    /// Resume after this change id (as the `Last-Event-ID` header does).
    last_event_id: Option<String>,
}

/// Live changes of the kitchen queue as Server-Sent Events: `event` is the change (`sent`,
/// `started`, `line_ready`, `completed`, `recalled`, `priority`, `served`, `cancelled`), `data`
/// the ticket after it, `id` its place in the log (send it back as `Last-Event-ID`).
#[utoipa::path(get, path = "/api/v1/kitchen/stream", tag = "kitchen", security(("bearer" = [])),
    params(StreamQuery, ("Last-Event-ID" = Option<String>, Header, description = "Resume after this change")),
    responses((status = 200, description = "An event stream of KitchenChange messages", content_type = "text/event-stream", body = KitchenChange),
              ReadErrors, CallerErrors))]
pub async fn stream(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query<StreamQuery>,
) -> Result<Response, ApiError> {
    let station = query.station.map(|s| s.to_ascii_lowercase());
    let feed = Feed::resume(state, caller.0.org.0, station, &headers, query.last_event_id).await?;
    Ok(feed.into_response(|change| Some(message(change, &change.change, change))))
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(queue), Roles(KITCHEN))
        .add(routes!(start), Roles(KITCHEN))
        .add(routes!(line_ready), Roles(KITCHEN))
        .add(routes!(complete), Roles(KITCHEN))
        .add(routes!(recall), Roles(KITCHEN))
        .add(routes!(priority), Roles(FRONT_AND_KITCHEN))
        .add(routes!(stream), Roles(FRONT_AND_KITCHEN))
}
