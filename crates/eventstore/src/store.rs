//! The two handles on the store. [`EventStore`] is for all-tenant operations (the global log, the
//! relay, rebuilds, integrity checks); [`TenantStore`] is what request handling gets, and every
//! query it makes is bound to its tenant, so it cannot return another tenant's events.

use crate::error::StoreError;
use crate::group_commit::GroupCommit;
use crate::wake::Waker;
use brigade_domain::ids::TenantId;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
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
    ///
    /// Prepared statements always use their generic plan (`plan_cache_mode`). Brigade's
    /// statements look rows up by a key or a key's range, where a generic plan is as good as any,
    /// but PostgreSQL's default kept re-planning some of them on every execution: a statement over
    /// `unnest($n)` of an array is costed at a hundred elements when generic and at the real few
    /// when planned for the values, so the generic plan never looked cheap enough. Planning the
    /// reference-data check was a sixth of the database's time in the HTTP benchmark. (A cached
    /// plan is made again when autovacuum analyzes its table, so a plan made while a table was
    /// empty does not outlive the table's growth.)
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, sqlx::Error> {
        let options = PgConnectOptions::from_str(url)?.options([("plan_cache_mode", "force_generic_plan")]);
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
            .connect_with(options)
            .await?;
        Ok(Self::new(pool))
    }

    /// Applies the schema migrations in `migrations/` (idempotent). Needs the owner's role.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        sqlx::migrate!("../../migrations").run(&self.pool).await
    }

    /// Applies the migrations only if some are missing: a server or worker connected as a role
    /// that may not change the schema (ARCHITECTURE.md, "Database roles") starts on a schema the
    /// owner brought up to date, and says so clearly when it was not.
    pub async fn migrate_if_needed(&self) -> Result<(), sqlx::migrate::MigrateError> {
        let migrator = sqlx::migrate!("../../migrations");
        let latest = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        // No such table yet: nothing applied.
        let applied: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.pool)
            .await
            .unwrap_or(None);
        if applied == Some(latest) {
            return Ok(());
        }
        migrator.run(&self.pool).await
    }

    /// Whether the database answers a statement (readiness asks it).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
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
