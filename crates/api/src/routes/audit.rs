//! `/api/v1/audit`: a stream's events with who did what, in which command and request, for the
//! organization's managers and accountants (another organization's stream is not found).

use crate::access::AUDITORS;
use crate::access::Access::Roles;
use crate::error::ApiError;
use crate::http::problem::Problem;
use crate::http::responses::CallerErrors;
use crate::routes::Routes;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::extract::Caller;

/// One event of a stream, with who did it.
#[derive(Serialize, ToSchema)]
pub struct AuditedEvent {
    /// Version in the stream.
    version: u64,
    /// Global position.
    position: i64,
    /// Event id.
    event_id: Uuid,
    /// Type name.
    event_type: String,
    /// Schema version of the payload.
    schema_version: i32,
    /// When the store recorded it.
    recorded_at: DateTime<Utc>,
    /// The acting user (absent for system actions).
    actor: Option<Uuid>,
    /// The command that wrote it.
    command_id: Option<Uuid>,
    /// The request it belongs to.
    correlation_id: Option<Uuid>,
    /// The event: its type and its data, decoded at this build's schema (an event stored under an
    /// older schema version is shown upcast); absent only if this build cannot read it. The bytes
    /// exactly as stored, with their hash chain, are what `brigade-replay audit` shows.
    event: Option<brigade_domain::DomainEvent>,
}

/// A stream's events, with actor and command metadata (the caller's organization only: another
/// organization's stream is not found).
#[utoipa::path(get, path = "/api/v1/audit/streams/{stream_id}", tag = "audit", security(("bearer" = [])),
    params(("stream_id" = String, Path, description = "The stream, e.g. order-0193a5b2-7c1e-7d3f-9a2b-4c5d6e7f8a90")),
    responses(
        (status = 200, description = "Every event of the stream, in order", body = [AuditedEvent]),
        CallerErrors,
        (status = 404, description = "No such stream in the caller's organization", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn stream(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(stream_id): Path<String>,
) -> Result<Json<Vec<AuditedEvent>>, ApiError> {
    let events = state
        .store
        .tenant(caller.0.org)
        .read_stream(&stream_id, 0, None)
        .await?;
    if events.is_empty() {
        return Err(Problem::not_found(format!("no stream {stream_id:?}")).into());
    }
    let audited: Vec<AuditedEvent> = events
        .iter()
        .map(|e| {
            let meta = e.metadata().ok();
            AuditedEvent {
                version: e.version,
                position: e.position,
                event_id: e.event_id,
                event_type: e.event_type.clone(),
                schema_version: e.schema_version,
                recorded_at: e.recorded_at,
                actor: meta.as_ref().and_then(|m| m.command.actor.map(|a| a.0)),
                command_id: meta.as_ref().map(|m| m.command.command_id),
                correlation_id: meta.as_ref().map(|m| m.command.correlation_id),
                event: brigade_domain::DomainEvent::decode_str(&e.event_type, e.schema_version, &e.payload).ok(),
            }
        })
        .collect();
    Ok(Json(audited))
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new().add(routes!(stream), Roles(AUDITORS))
}
