//! Operations and audit over HTTP: the projections' state and the retry of parked events (the
//! platform operator's, with the operator token: the projections serve every organization, so
//! their positions and errors are no organization's business), and a stream's history with who
//! did what (the caller's organization only).

use crate::error::ApiError;
use crate::http::AppState;
use crate::http::problem::Problem;
use crate::http::responses::{CallerErrors, OperatorErrors};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::extract::Caller;

/// One projection, against the head of the log.
#[derive(Serialize, ToSchema)]
pub struct ProjectionState {
    /// Name.
    name: String,
    /// Global position of its checkpoint.
    checkpoint: i64,
    /// Global position of the last event written.
    head: i64,
    /// Events after the checkpoint (at most 1,000,000 counted).
    lag_events: i64,
    /// Seconds since the oldest event it has not applied was recorded.
    lag_seconds: f64,
    /// Events applied in all.
    applied_events: i64,
    /// `healthy`, or `unhealthy` while events are parked.
    state: String,
    /// Parked events.
    parked_events: i64,
    /// The last error, if unhealthy.
    last_error: Option<String>,
}

/// Every projection's checkpoint, lag and health.
#[utoipa::path(get, path = "/api/v1/admin/projections", tag = "operations", security(("operator" = [])),
    responses(
        (status = 200, description = "Every projection", body = [ProjectionState]),
        OperatorErrors,
    ))]
pub async fn projections(State(state): State<Arc<AppState>>) -> Result<Json<Vec<ProjectionState>>, ApiError> {
    let lags = brigade_projections::lag(state.store.pool()).await?;
    let states = lags
        .into_iter()
        .map(|l| ProjectionState {
            name: l.name,
            checkpoint: l.checkpoint.position,
            head: l.head.position,
            lag_events: l.lag_events,
            lag_seconds: l.lag_seconds,
            applied_events: l.applied_events,
            state: l.state.to_owned(),
            parked_events: l.parked_events,
            last_error: l.last_error,
        })
        .collect();
    Ok(Json(states))
}

/// Asks the projection's active worker to re-apply its parked events (within a second or so).
#[utoipa::path(post, path = "/api/v1/admin/projections/{name}/retry", tag = "operations", security(("operator" = [])),
    params(("name" = String, Path, description = "The projection")),
    responses(
        (status = 202, description = "Retry requested"),
        OperatorErrors,
        (status = 404, description = "No such projection", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn retry(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    if brigade_projections::request_retry(state.store.pool(), &name).await? {
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(Problem::not_found(format!("no projection {name:?}")).into())
    }
}

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
