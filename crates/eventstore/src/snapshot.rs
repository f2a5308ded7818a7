//! Snapshots: an aggregate's state cached at a version. An optimisation only; loading from a
//! snapshot plus newer events gives exactly the state that loading every event gives.

use crate::error::StoreError;
use crate::store::TenantStore;
use brigade_domain::Aggregate;

/// A stored snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot<A> {
    /// The stream version the state includes.
    pub version: u64,
    /// The state.
    pub state: A,
}

impl TenantStore {
    /// Stores (or replaces) the snapshot of a stream.
    pub async fn save_snapshot<A: Aggregate>(
        &self,
        stream_id: &str,
        version: u64,
        state: &A,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_value(state)?;
        sqlx::query(
            "INSERT INTO snapshots (tenant_id, stream_id, snapshot_version, version, state) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, stream_id) DO UPDATE \
             SET snapshot_version = EXCLUDED.snapshot_version, version = EXCLUDED.version, state = EXCLUDED.state, taken_at = now() \
             WHERE snapshots.version <= EXCLUDED.version",
        )
        .bind(self.tenant.uuid())
        .bind(stream_id)
        .bind(A::SNAPSHOT_VERSION)
        .bind(i64::try_from(version).unwrap_or(i64::MAX))
        .bind(json)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The stream's snapshot, if there is one in the aggregate's current shape at or below
    /// `max_version`. A snapshot in an older shape, or one that no longer deserializes, is ignored.
    pub async fn load_snapshot<A: Aggregate>(
        &self,
        stream_id: &str,
        max_version: Option<u64>,
    ) -> Result<Option<Snapshot<A>>, StoreError> {
        let row: Option<(i64, serde_json::Value)> = sqlx::query_as(
            "SELECT version, state FROM snapshots WHERE tenant_id = $1 AND stream_id = $2 AND snapshot_version = $3",
        )
        .bind(self.tenant.uuid())
        .bind(stream_id)
        .bind(A::SNAPSHOT_VERSION)
        .fetch_optional(&self.pool)
        .await?;
        let Some((version, state)) = row else { return Ok(None) };
        let version = u64::try_from(version).unwrap_or_default();
        if max_version.is_some_and(|max| version > max) {
            return Ok(None);
        }
        match serde_json::from_value(state) {
            Ok(state) => Ok(Some(Snapshot { version, state })),
            Err(error) => {
                tracing::warn!(stream_id, %error, "ignoring a snapshot that no longer deserializes");
                Ok(None)
            }
        }
    }
}
