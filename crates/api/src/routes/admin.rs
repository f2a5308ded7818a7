//! `/api/v1/admin`: the installation's projections (checkpoint, lag, parked events) and a retry of
//! a parked one: the platform operator's business, behind the operator token, not a tenant's.

use crate::access::Access::Operator;
use crate::error::ApiError;
use crate::http::problem::Problem;
use crate::http::responses::OperatorErrors;
use crate::routes::Routes;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;

/// One projection (one partition of it, when it runs in several), against the head of the log.
#[derive(Serialize, ToSchema)]
pub struct ProjectionState {
    /// Its checkpoint's name: the projection's, followed by its partition (`stock.1of4`) when it
    /// runs in several. Retry takes this name, or the projection's for all its partitions.
    #[schema(example = "kitchen_queue")]
    name: String,
    /// The read model.
    #[schema(example = "kitchen_queue")]
    projection: String,
    /// Which partition of the organizations this is (0 when it runs in one).
    #[schema(minimum = 0, maximum = 255)]
    partition: u16,
    /// How many partitions the read model runs in.
    #[schema(minimum = 1, maximum = 256)]
    partitions: u16,
    /// The worker process running it (`host:pid`), if one is alive and holds it.
    owner: Option<String>,
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
            projection: l.projection,
            partition: l.partition,
            partitions: l.partitions,
            owner: l.owner,
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
    params(("name" = String, Path, description = "A projection (all its partitions), or one partition's checkpoint name")),
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

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(projections), Operator)
        .add(routes!(retry), Operator)
}
