//! Questions an auditor asks across streams: which tenants have a stream of this name, and
//! everything one user, or one request, did in a time range.
//!
//! Actor and correlation ids live in each event's metadata (`json`, not indexed: indexing them
//! would slow every append for a query auditors run rarely), so these queries scan the events of
//! the range they are given.

use crate::error::StoreError;
use crate::store::EventStore;
use crate::stream::{EVENT_COLUMNS, EventRow, RecordedEvent};
use brigade_domain::ids::TenantId;
use chrono::{DateTime, Utc};
use std::sync::LazyLock;
use uuid::Uuid;

/// Whose events, or which request's, and when.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Only this tenant's events.
    pub tenant: Option<TenantId>,
    /// Events written by this user.
    pub actor: Option<Uuid>,
    /// Events written within this request (or job).
    pub correlation: Option<Uuid>,
    /// Recorded at or after.
    pub from: Option<DateTime<Utc>>,
    /// Recorded before.
    pub to: Option<DateTime<Utc>>,
    /// At most this many events (the first ones, in log order).
    pub limit: u32,
}

static AUDIT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {EVENT_COLUMNS} FROM events \
         WHERE ($1::uuid IS NULL OR tenant_id = $1) \
           AND ($2::text IS NULL OR metadata->>'actor' = $2) \
           AND ($3::text IS NULL OR metadata->>'correlation_id' = $3) \
           AND ($4::timestamptz IS NULL OR recorded_at >= $4) \
           AND ($5::timestamptz IS NULL OR recorded_at < $5) \
         ORDER BY transaction_id, position LIMIT $6"
    )
});

impl EventStore {
    /// The events matching `query`, in global-log order.
    pub async fn audit(&self, query: &AuditQuery) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(&AUDIT)
            .bind(query.tenant.map(TenantId::uuid))
            .bind(query.actor.map(|u| u.to_string()))
            .bind(query.correlation.map(|u| u.to_string()))
            .bind(query.from)
            .bind(query.to)
            .bind(i64::from(query.limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(RecordedEvent::from).collect())
    }

    /// The tenants that have a stream called `stream_id` (stream ids are unique per tenant only),
    /// whatever is left of it: a stream whose first events were deleted is still found.
    ///
    /// The stream index leads with the tenant, so the tenants are walked through it one by one
    /// (a loose index scan) and each is probed for the stream: a few index lookups per tenant,
    /// not a scan of the events.
    pub async fn tenants_of_stream(&self, stream_id: &str) -> Result<Vec<TenantId>, StoreError> {
        let tenants: Vec<Uuid> = sqlx::query_scalar(
            "WITH RECURSIVE tenants(tenant_id) AS ( \
                 (SELECT tenant_id FROM events ORDER BY tenant_id LIMIT 1) \
                 UNION ALL \
                 SELECT (SELECT e.tenant_id FROM events e WHERE e.tenant_id > t.tenant_id ORDER BY e.tenant_id LIMIT 1) \
                 FROM tenants t WHERE t.tenant_id IS NOT NULL) \
             SELECT t.tenant_id FROM tenants t \
             WHERE t.tenant_id IS NOT NULL \
               AND EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = t.tenant_id AND e.stream_id = $1) \
             ORDER BY t.tenant_id",
        )
        .bind(stream_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(tenants.into_iter().map(TenantId).collect())
    }
}
