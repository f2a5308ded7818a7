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

use crate::error::ApiError;
use axum::Router;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use brigade_eventstore::EventStore;
use metrics_exporter_prometheus::PrometheusHandle;
use problem::Problem;
use request_id::{MakeUuidV7, X_REQUEST_ID};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// How the server behaves; each setting has an environment variable (README, *Configuration*).
#[derive(Clone, Debug)]
pub struct Config {
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Readiness fails when a read model is more than this many events behind.
    pub ready_max_lag: i64,
    /// The read models this server answers from (all of them, by default): it is not ready
    /// until every one has been started somewhere (has a checkpoint) and is within
    /// `ready_max_lag`, since a model nobody has registered yet cannot say how far behind it is.
    pub read_models: Vec<String>,
    /// Lets `POST /api/v1/organizations` create an organization once one exists.
    pub bootstrap_secret: Option<String>,
    /// The platform operator's bearer token for `/api/v1/admin/*` (the projections of the whole
    /// installation); unset, those routes are closed to everyone.
    pub operator_token: Option<String>,
    /// Requests a second per user and organization...
    pub rate_per_second: u32,
    /// ...and at once.
    pub rate_burst: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            body_limit: 64 * 1024,
            ready_max_lag: 10_000,
            read_models: brigade_projections::models::all()
                .iter()
                .map(|p| p.name().to_owned())
                .collect(),
            bootstrap_secret: None,
            operator_token: None,
            rate_per_second: 50,
            rate_burst: 100,
        }
    }
}

/// What handlers share.
pub struct AppState {
    /// The event store (and, through its pool, the read models).
    pub store: EventStore,
    /// The NATS connection, if configured (readiness reports it).
    pub nats: Option<async_nats::Client>,
    /// The Prometheus recorder `/metrics` renders.
    pub metrics: PrometheusHandle,
    /// Signs and checks access tokens.
    pub keys: crate::auth::tokens::Keys,
    /// Per user and organization request limits (made from `config` by [`AppState::new`]).
    pub limiter: rate_limit::Limiter,
    /// Settings.
    pub config: Config,
    /// Deactivated users, whose live tokens are refused.
    pub deactivated: crate::auth::deactivated::Deactivated,
    /// The organizations' settings and menu items, cached by version for order commands.
    pub reference: crate::reference::Reference,
    /// Cancelled when the server shuts down: long-lived responses (the kitchen feed) end then,
    /// so a graceful shutdown does not wait for screens to disconnect.
    pub closing: CancellationToken,
    /// The read models' checkpoints, followed from the first `after=` on.
    applied: tokio::sync::OnceCell<brigade_projections::Applied>,
}

impl AppState {
    /// The state of a server.
    pub fn new(
        store: EventStore,
        nats: Option<async_nats::Client>,
        keys: crate::auth::tokens::Keys,
        config: Config,
    ) -> AppState {
        let reference = crate::reference::Reference::new(store.pool().clone());
        AppState {
            store,
            nats,
            keys,
            limiter: rate_limit::Limiter::new(config.rate_per_second, config.rate_burst),
            metrics: metrics::recorder(),
            config,
            closing: CancellationToken::new(),
            reference,
            deactivated: crate::auth::deactivated::Deactivated::default(),
            applied: tokio::sync::OnceCell::new(),
        }
    }

    /// The read models' checkpoints, followed from the first call on.
    pub async fn applied(&self) -> Result<&brigade_projections::Applied, ApiError> {
        self.applied
            .get_or_try_init(|| brigade_projections::Applied::follow(self.store.pool(), CancellationToken::new()))
            .await
            .map_err(ApiError::internal)
    }

    /// Waits until `read_models` have applied the event at `after` (if given), at most 2 s:
    /// `after=` on a query. 503 with `Retry-After` if they have not; 422 if no event has it.
    pub async fn wait_after(&self, after: Option<i64>, read_models: &[&str]) -> Result<(), ApiError> {
        let Some(position) = after else { return Ok(()) };
        let applied = self.applied().await?;
        match applied
            .wait(read_models, position, std::time::Duration::from_secs(2))
            .await
        {
            Ok(()) => Ok(()),
            Err(brigade_projections::WaitError::NotYet { behind }) => Err(Problem::unavailable(
                format!("{} has not applied position {position} yet", behind.join(", ")),
                1,
            )
            .into()),
            Err(brigade_projections::WaitError::UnknownPosition(p)) => {
                Err(Problem::invalid("after", format!("no event has position {p}")).into())
            }
            Err(e) => Err(ApiError::internal(e)),
        }
    }
}

/// Every route, and the layers around them.
pub fn router(state: Arc<AppState>) -> Router {
    let body_limit = state.config.body_limit;
    let (routes, _document) = openapi::routes();
    routes
        .fallback(not_found)
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

async fn not_found(request: Request) -> Response {
    Problem::not_found(format!("no route {} {}", request.method(), request.uri().path())).into_response()
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
