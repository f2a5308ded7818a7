//! The HTTP server: the router, the layers every request goes through (request id, tracing,
//! body limit, latency metrics), problem+json for every error, and graceful shutdown.

pub mod body;
pub mod health;
pub mod input;
pub mod metrics;
pub mod openapi;
pub mod openapi_typed;
pub mod problem;
pub mod rate_limit;
pub mod request_id;
pub mod responses;
pub mod screens;

pub use crate::state::{AppState, Config};

/// The server's own routes: health, readiness, metrics and the OpenAPI document.
pub fn routes() -> crate::routes::Routes {
    health::routes().merge(metrics::routes()).merge(openapi::routes())
}

use axum::Router;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use problem::Problem;
use request_id::{MakeUuidV7, X_REQUEST_ID};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Every route, and the layers around them.
pub fn router(state: Arc<AppState>) -> Router {
    let body_limit = state.config.body_limit;
    let (routes, _document) = openapi::build();
    let screens = state.config.screens_dir.clone();
    routes
        .fallback(move |request: Request| screens::serve(screens.clone(), request))
        .method_not_allowed_fallback(method_not_allowed)
        // Outer layers run first: access (it identifies the caller), then idempotency.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::idempotency::idempotent,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::access::authorize,
        ))
        .with_state(state)
        // Innermost first: no NUL in the URL, the body limit, then problem+json for whatever
        // answered in plain text (the limit included), then the latency histogram of the final
        // status, then the log of server errors.
        .layer(axum::middleware::from_fn(input::refuse_nul))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(axum::middleware::from_fn(problem::everywhere))
        .layer(axum::middleware::from_fn(metrics::track))
        // Every 5xx is logged here with its cause (inside the request's span), not by handlers.
        .layer(axum::middleware::from_fn(crate::error::log_failures))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request
                .headers()
                .get(&X_REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID.clone()))
        .layer(SetRequestIdLayer::new(X_REQUEST_ID.clone(), MakeUuidV7))
}

async fn method_not_allowed(request: Request) -> Response {
    Problem::new(
        problem::Kind::MethodNotAllowed,
        format!("{} is not allowed on {}", request.method(), request.uri().path()),
    )
    .into_response()
}

/// Serves `router` on `listener` until `shutdown`; requests in flight are finished first.
pub async fn serve(listener: TcpListener, state: Arc<AppState>, shutdown: CancellationToken) -> std::io::Result<()> {
    let closing = state.closing.clone();
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            shutdown.cancelled().await;
            closing.cancel();
        })
        .await
}
