//! Loading aggregates: the state now, at a version, or at a moment.

use crate::error::StoreError;
use crate::store::TenantStore;
use crate::stream::RecordedEvent;
use brigade_domain::Aggregate;
use chrono::{DateTime, Utc};

/// An aggregate's state and the stream version it reflects (0: the stream does not exist).
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded<A> {
    /// The state.
    pub state: A,
    /// The version it includes.
    pub version: u64,
}

fn fold<A: Aggregate>(mut state: A, mut version: u64, events: &[RecordedEvent]) -> Result<Loaded<A>, StoreError> {
    for e in events {
        let event: A::Event = e.decode().map_err(|source| StoreError::Decode {
            stream_id: e.stream_id.clone(),
            version: e.version,
            source,
        })?;
        state.evolve(&event);
        version = e.version;
    }
    Ok(Loaded { state, version })
}

impl TenantStore {
    /// The current state: the latest snapshot (if any) plus the events after it.
    pub async fn load<A: Aggregate>(&self, stream_id: &str) -> Result<Loaded<A>, StoreError> {
        self.load_at_version(stream_id, None).await
    }

    /// The state as of `version` (`None`: the latest), using a snapshot at or below it.
    pub async fn load_at_version<A: Aggregate>(
        &self,
        stream_id: &str,
        version: Option<u64>,
    ) -> Result<Loaded<A>, StoreError> {
        let (state, from) = match self.load_snapshot::<A>(stream_id, version).await? {
            Some(s) => (s.state, s.version),
            None => (A::default(), 0),
        };
        let events = self.read_stream(stream_id, from, version).await?;
        fold(state, from, &events)
    }

    /// The state as it was at a moment: every event recorded at or before it.
    pub async fn load_at_time<A: Aggregate>(
        &self,
        stream_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Loaded<A>, StoreError> {
        let events = self.read_stream_until(stream_id, at).await?;
        fold(A::default(), 0, &events)
    }

    /// Loads every event of a stream without a snapshot (the reference the snapshot must match).
    pub async fn load_from_scratch<A: Aggregate>(&self, stream_id: &str) -> Result<Loaded<A>, StoreError> {
        let events = self.read_stream(stream_id, 0, None).await?;
        fold(A::default(), 0, &events)
    }
}
