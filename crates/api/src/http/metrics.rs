//! `/metrics` in the Prometheus text format, and the request histogram every route feeds.
//!
//! The `metrics` facade is what the store, the relay and the projection workers already write
//! to (lag, positions, applied and parked counters); in the server one Prometheus recorder
//! collects all of it.

use crate::access::Access::Public;
use crate::routes::Routes;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use utoipa_axum::routes;

use crate::state::AppState;

/// Latency buckets (seconds): a POS command should take milliseconds; a report may take longer.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// The process's Prometheus recorder (installed once; every server in the process shares it).
pub fn recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(handle) => handle,
                // Another recorder was installed first (a test harness): render an empty one.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// Prometheus metrics: request latency by route and status, commands, projection lag.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", body = String,
               content_type = "text/plain; version=0.0.4")))]
pub async fn render(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    // Lag is computed when scraped: it is a query, not something a worker pushes.
    if let Err(error) = brigade_projections::lag(state.store.pool()).await {
        tracing::warn!(%error, "projection lag unavailable for /metrics");
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
}

/// Records every request's latency by method, route (its pattern, not the raw path: ids would
/// explode the label set) and status.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("brigade_http_request_duration_seconds", "method" => method, "route" => route, "status" => status)
        .record(started.elapsed().as_secs_f64());
    response
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new().add(routes!(render), Public)
}
