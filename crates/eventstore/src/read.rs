//! Reading one tenant's streams: forward from a version, up to a version, or up to a moment.

use crate::error::StoreError;
use crate::store::TenantStore;
use crate::stream::{EVENT_COLUMNS, EventRow, RecordedEvent};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::sync::LazyLock;

static READ_FORWARD: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND stream_id = $2 \
         AND version > $3 AND version <= $4 ORDER BY version"
    )
});

static READ_UNTIL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND stream_id = $2 \
         AND recorded_at <= $3 ORDER BY version"
    )
});

impl TenantStore {
    /// Events of a stream with `after < version <= up_to`, in order. Empty for an unknown stream
    /// or another tenant's stream: the two are indistinguishable by design.
    pub async fn read_stream(
        &self,
        stream_id: &str,
        after: u64,
        up_to: Option<u64>,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let up_to = up_to.map_or(i64::MAX, |v| i64::try_from(v).unwrap_or(i64::MAX));
        let rows: Vec<EventRow> = sqlx::query_as(&READ_FORWARD)
            .bind(self.tenant.uuid())
            .bind(stream_id)
            .bind(after)
            .bind(up_to)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(RecordedEvent::from).collect())
    }

    /// Events of a stream recorded at or before `at`, in order.
    pub async fn read_stream_until(
        &self,
        stream_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(&READ_UNTIL)
            .bind(self.tenant.uuid())
            .bind(stream_id)
            .bind(at)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(RecordedEvent::from).collect())
    }

    /// The stream's current version (0 when it does not exist).
    pub async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT max(version) FROM events WHERE tenant_id = $1 AND stream_id = $2")
                .bind(self.tenant.uuid())
                .bind(stream_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(version.map_or(0, |v| u64::try_from(v).unwrap_or_default()))
    }

    /// Which of `stream_ids` exist in this tenant, in one query: how a request's references to
    /// other aggregates (a recipe's ingredients, an order's lines) are checked before a command
    /// names them. Another tenant's stream is as absent as one that never was.
    pub async fn existing_streams(&self, stream_ids: &[String]) -> Result<HashSet<String>, StoreError> {
        if stream_ids.is_empty() {
            return Ok(HashSet::new());
        }
        let found: Vec<String> = sqlx::query_scalar(
            "SELECT stream_id FROM events WHERE tenant_id = $1 AND stream_id = ANY($2) AND version = 1",
        )
        .bind(self.tenant.uuid())
        .bind(stream_ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(found.into_iter().collect())
    }

    /// The global position of the stream's last event (0 when it has none): what a command that
    /// wrote nothing (a repeat of a keyed command) answers as the position to read after.
    pub async fn last_position(&self, stream_id: &str) -> Result<i64, StoreError> {
        let position: Option<i64> =
            sqlx::query_scalar("SELECT max(position) FROM events WHERE tenant_id = $1 AND stream_id = $2")
                .bind(self.tenant.uuid())
                .bind(stream_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(position.unwrap_or(0))
    }

    /// Up to `limit` streams of `category` (`order`, `supplier`...) whose ids come after
    /// `after` (a stream id, or none for the first), in stream id order: a page of a category
    /// that has no read model of its own, through the `(tenant, stream, version)` key (first
    /// events only), one index range however deep the page.
    pub async fn streams_of_category(
        &self,
        category: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        // Stream ids are `<category>-<uuid>`: the category's streams sort after the prefix and
        // before the next character ('.' follows '-').
        let prefix = format!("{category}-");
        let from = after.unwrap_or(&prefix);
        let ids = sqlx::query_scalar(
            "SELECT stream_id FROM events WHERE tenant_id = $1 AND stream_id > $2 AND stream_id < $3 \
               AND version = 1 ORDER BY stream_id LIMIT $4",
        )
        .bind(self.tenant.uuid())
        .bind(from)
        .bind(format!("{category}."))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids)
    }
}
