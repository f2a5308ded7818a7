//! The event store's errors, each one a caller can act on.

use crate::stream::ExpectedVersion;
use brigade_domain::DecodeError;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Optimistic concurrency: the stream is not where the append expected it. Reload and decide
    /// again (decisions are pure, so that is safe), or report the conflict.
    #[error("stream {stream_id} is at version {actual}, but the append expected {expected}")]
    Conflict {
        /// The stream.
        stream_id: String,
        /// What the append expected.
        expected: ExpectedVersion,
        /// Where the stream actually is.
        actual: u64,
    },
    /// Another writer got in the way in a way the expectations do not describe (a copy of this
    /// command running at the same moment, a head changed under a caller's REPEATABLE READ
    /// transaction). Nothing was written; retrying decides again.
    #[error("concurrent write: {0}")]
    Concurrent(&'static str),
    /// The append itself is malformed (no events, a bad stream id, a stream named twice).
    #[error("invalid append: {0}")]
    InvalidAppend(String),
    /// A stored event could not be read back as a domain event.
    #[error("event {version} of stream {stream_id} cannot be decoded: {source}")]
    Decode {
        /// The stream.
        stream_id: String,
        /// The event's version.
        version: u64,
        /// Why.
        source: DecodeError,
    },
    /// A snapshot or result could not be (de)serialized.
    #[error("serialization: {0}")]
    Serialization(#[from] serde_json::Error),
    /// The database failed or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// True for errors that deciding again may cure: a concurrency conflict of any kind.
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict { .. } | StoreError::Concurrent(_))
    }
}
