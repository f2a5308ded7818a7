//! What every handler shares: the application state and the server's settings. A leaf of the
//! crate: route modules depend on it, and it depends on none of them (only on the caches and
//! keys it holds).

use crate::error::ApiError;
use crate::http::problem::Problem;
use crate::http::{metrics, rate_limit};
use brigade_eventstore::EventStore;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio_util::sync::CancellationToken;

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
    /// The screens' build (`screens/dist`): served at every path the API does not route. None:
    /// the server is an API alone.
    pub screens_dir: Option<std::path::PathBuf>,
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
            screens_dir: None,
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
    /// How the server behaves (each setting has its environment variable).
    pub config: Config,
    /// Deactivated users, whose live tokens are refused.
    pub deactivated: crate::auth::deactivated::Deactivated,
    /// The organizations' settings and menu items, cached by version for order commands.
    pub reference: crate::reference::Reference,
    /// The kitchen screens' tickets, kept between changes (a screen's read is then one query).
    pub kitchen: brigade_projections::reports::kitchen_cache::KitchenScreens,
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
            kitchen: Default::default(),
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
