//! `/health/live` (the process answers) and `/health/ready` (it can do its work: the database
//! answers, NATS is connected, and every read model it serves is registered and not too far
//! behind).
//!
//! A read model without a checkpoint has not been started by any worker yet, so nothing says how
//! far behind it is: it counts as not ready (`not_started`), never as absent. Otherwise a server
//! whose workers are still starting would say ready with only some of its read models known, and
//! a load balancer would send it traffic that reads empty tables.

use super::problem::Problem;
use crate::access::Access::Public;
use crate::routes::Routes;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use utoipa_axum::routes;

/// The process answers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Live {
    /// Always `live`.
    status: String,
}

/// The process answers (no dependency is consulted).
#[utoipa::path(get, path = "/health/live", tag = "operations",
    responses((status = 200, description = "The process answers", body = Live)))]
pub async fn live() -> impl IntoResponse {
    Json(Live { status: "live".into() })
}

/// One dependency's state.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Check {
    ok: bool,
    detail: String,
}

/// One read model's state.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProjectionCheck {
    name: String,
    ok: bool,
    lag_events: i64,
    /// `healthy`, `unhealthy` (events parked), `not_started` (no worker has registered it yet),
    /// or `unknown` (its lag could not be read).
    state: &'static str,
}

/// Each read model of `expected` with its lag, in `expected`'s order, then any other projection
/// that has a checkpoint; one of `expected` without a checkpoint is `not_started`.
fn projection_checks(
    expected: &[String],
    lags: Vec<brigade_projections::ProjectionLag>,
    max_lag: i64,
) -> Vec<ProjectionCheck> {
    let check = |l: &brigade_projections::ProjectionLag| ProjectionCheck {
        ok: l.lag_events <= max_lag,
        name: l.name.clone(),
        lag_events: l.lag_events,
        state: l.state,
    };
    let not_started = |name: &String| ProjectionCheck {
        name: name.clone(),
        ok: false,
        lag_events: 0,
        state: "not_started",
    };
    let expected_checks = expected.iter().map(|name| {
        lags.iter()
            .find(|l| &l.name == name)
            .map_or_else(|| not_started(name), check)
    });
    let others = lags.iter().filter(|l| !expected.contains(&l.name)).map(check);
    expected_checks.chain(others).collect()
}

/// Every check of readiness.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Checks {
    database: Check,
    nats: Check,
    projections: Vec<ProjectionCheck>,
}

/// Readiness, with every check.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Ready {
    /// Always `ready`.
    status: String,
    /// What was checked.
    checks: Checks,
}

/// The server can do its work: the database answers, NATS is connected, and every read model it
/// serves has been started and is no more than `BRIGADE_READY_MAX_LAG` events behind.
#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready; every check listed", body = Ready),
        (status = 503, description = "Not ready: the detail names what failed, `checks` holds every check",
         body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait before asking again"))),
    ))]
pub async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let pool = state.store.pool();
    let database = match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(_)) => Check {
            ok: true,
            detail: "answers".into(),
        },
        Ok(Err(e)) => Check {
            ok: false,
            detail: e.to_string(),
        },
        Err(_) => Check {
            ok: false,
            detail: "no answer within 2 s".into(),
        },
    };
    let nats = match &state.nats {
        Some(client) => {
            let connection = client.connection_state();
            Check {
                ok: connection == async_nats::connection::State::Connected,
                detail: connection.to_string(),
            }
        }
        None => Check {
            ok: false,
            detail: "not configured (NATS_URL)".into(),
        },
    };
    let projections = if database.ok {
        match brigade_projections::lag(pool).await {
            Ok(lags) => projection_checks(&state.config.read_models, lags, state.config.ready_max_lag),
            Err(e) => vec![ProjectionCheck {
                name: format!("(unavailable: {e})"),
                ok: false,
                lag_events: 0,
                state: "unknown",
            }],
        }
    } else {
        Vec::new()
    };
    let failing: Vec<String> = [("database", database.ok), ("nats", nats.ok)]
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| name.to_owned())
        .chain(projections.iter().filter(|p| !p.ok).map(|p| match p.state {
            "not_started" => format!("projection {}: not started", p.name),
            "unknown" => format!("projection {}", p.name),
            _ => format!("projection {}: {} events behind", p.name, p.lag_events),
        }))
        .collect();
    let checks = Checks {
        database,
        nats,
        projections,
    };
    if failing.is_empty() {
        Json(Ready {
            status: "ready".into(),
            checks,
        })
        .into_response()
    } else {
        let checks = serde_json::to_value(&checks).unwrap_or_default();
        Problem::unavailable(format!("not ready: {}", failing.join(", ")), 5)
            .with("checks", checks)
            .into_response()
    }
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new().add(routes!(live), Public).add(routes!(ready), Public)
}
