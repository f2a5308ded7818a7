//! The two handles on the store. [`EventStore`] is for all-tenant operations (the global log, the
//! relay, rebuilds, integrity checks); [`TenantStore`] is what request handling gets, and every
//! query it makes is bound to its tenant, so it cannot return another tenant's events.

use crate::group_commit::GroupCommit;
use crate::wake::Waker;
use brigade_domain::ids::TenantId;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::sync::Arc;
use std::time::Duration;

/// How long a pooled connection may sit idle before it is pinged on the way out.
pub const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// The event store, across tenants.
#[derive(Clone, Debug)]
pub struct EventStore {
    pub(crate) pool: PgPool,
    pub(crate) waker: Arc<Waker>,
    pub(crate) group: Arc<GroupCommit>,
}

/// The event store seen by one tenant.
#[derive(Clone, Debug)]
pub struct TenantStore {
    pub(crate) pool: PgPool,
    pub(crate) tenant: TenantId,
    pub(crate) waker: Arc<Waker>,
    pub(crate) group: Arc<GroupCommit>,
}

impl EventStore {
    /// Wraps an existing pool.
    pub fn new(pool: PgPool) -> Self {
        let waker = Arc::new(Waker::new(pool.clone()));
        let group = Arc::new(GroupCommit::new(pool.clone()));
        Self { pool, waker, group }
    }

    /// Connects with a pool of `max_connections`.
    ///
    /// A connection is checked with a ping before it is handed out only if it sat idle for
    /// [`PING_AFTER_IDLE`]: sqlx pings every time by default, which made every statement two
    /// round trips (a sixth of the server's CPU in the HTTP benchmark). A busy pool's connections
    /// are in constant use and proven by it; the ones a database restart would have broken while
    /// idle are caught by the ping.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .test_before_acquire(false)
            .before_acquire(|connection, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_AFTER_IDLE {
                        sqlx::Connection::ping(connection).await?;
                    }
                    Ok(true)
                })
            })
            .connect(url)
            .await?;
        Ok(Self::new(pool))
    }

    /// Applies the schema migrations in `migrations/` (idempotent).
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        sqlx::migrate!("../../migrations").run(&self.pool).await
    }

    /// The store scoped to one tenant.
    pub fn tenant(&self, tenant: TenantId) -> TenantStore {
        TenantStore {
            pool: self.pool.clone(),
            tenant,
            waker: self.waker.clone(),
            group: self.group.clone(),
        }
    }

    /// The underlying pool (for projections that share the database).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

impl TenantStore {
    /// The tenant this handle is bound to.
    pub fn tenant_id(&self) -> TenantId {
        self.tenant
    }

    /// Wakes tailing readers. [`append`](Self::append) does this itself after its commit; a
    /// caller of [`append_in`](Self::append_in) calls it once its own transaction committed.
    pub fn wake_readers(&self) {
        self.waker.wake();
    }
}
