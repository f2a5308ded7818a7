//! The two handles on the store. [`EventStore`] is for all-tenant operations (the global log, the
//! relay, rebuilds, integrity checks); [`TenantStore`] is what request handling gets, and every
//! query it makes is bound to its tenant, so it cannot return another tenant's events.

use brigade_domain::ids::TenantId;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// The event store, across tenants.
#[derive(Clone, Debug)]
pub struct EventStore {
    pub(crate) pool: PgPool,
}

/// The event store seen by one tenant.
#[derive(Clone, Debug)]
pub struct TenantStore {
    pub(crate) pool: PgPool,
    pub(crate) tenant: TenantId,
}

impl EventStore {
    /// Wraps an existing pool.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Connects with a pool of `max_connections`.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, sqlx::Error> {
        let pool = PgPoolOptions::new().max_connections(max_connections).connect(url).await?;
        Ok(Self { pool })
    }

    /// Applies the schema migrations in `migrations/` (idempotent).
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        sqlx::migrate!("../../migrations").run(&self.pool).await
    }

    /// The store scoped to one tenant.
    pub fn tenant(&self, tenant: TenantId) -> TenantStore {
        TenantStore { pool: self.pool.clone(), tenant }
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
}
