//! `/health/live` (the process answers) and `/health/ready` (it can do its work: the database
//! answers, NATS is connected, and no read model is too far behind).

use super::AppState;
use super::problem::Problem;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// `GET /health/live`.
pub async fn live() -> impl IntoResponse {
    Json(json!({ "status": "live" }))
}

#[derive(Serialize)]
struct Check {
    ok: bool,
    detail: String,
}

#[derive(Serialize)]
struct ProjectionCheck {
    name: String,
    ok: bool,
    lag_events: i64,
    state: &'static str,
}

#[derive(Serialize)]
struct Checks {
    database: Check,
    nats: Check,
    projections: Vec<ProjectionCheck>,
}

/// `GET /health/ready`: 200 with every check, or 503 (problem+json) naming what failed.
pub async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let pool = state.store.pool();
    let database = match tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(pool)).await {
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
            Ok(lags) => lags
                .into_iter()
                .map(|l| ProjectionCheck {
                    ok: l.lag_events <= state.config.ready_max_lag,
                    name: l.name,
                    lag_events: l.lag_events,
                    state: l.state,
                })
                .collect(),
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
        .chain(
            projections
                .iter()
                .filter(|p| !p.ok)
                .map(|p| format!("projection {}", p.name)),
        )
        .collect();
    let checks = Checks {
        database,
        nats,
        projections,
    };
    let checks = serde_json::to_value(&checks).unwrap_or_default();
    if failing.is_empty() {
        Json(json!({ "status": "ready", "checks": checks })).into_response()
    } else {
        Problem::unavailable(format!("not ready: {}", failing.join(", ")), 5)
            .with("checks", checks)
            .into_response()
    }
}
