//! What a projection is: a name, the event types it wants, its tables, and an apply function that
//! folds a batch of events into those tables inside the caller's transaction.

use brigade_eventstore::RecordedEvent;
use sqlx::PgConnection;
use std::future::Future;
use std::pin::Pin;

/// A boxed future (projections are used as trait objects by the runtime).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A read model builder.
///
/// `apply` runs inside a transaction the runtime opens on the projection's own connection, with
/// `search_path` set to the schema being built (the live one, or a shadow copy during a rebuild),
/// so it names its tables unqualified. It must be deterministic: the same events give the same
/// rows (no wall-clock times, no sequences), which is what makes rebuilds comparable.
pub trait Projection: Send + Sync + 'static {
    /// Unique name: the checkpoint row, the lease, the JetStream consumer.
    fn name(&self) -> &str;
    /// The PostgreSQL schema that holds its tables.
    fn schema(&self) -> &str;
    /// Its tables (unqualified), for rebuilds and comparisons.
    fn tables(&self) -> &[&'static str];
    /// The event types it applies; others only move its checkpoint.
    fn event_types(&self) -> &[String];
    /// Folds `events` (all of wanted types, in global order) into its tables.
    fn apply<'a>(
        &'a self,
        connection: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ApplyError>>;
}

/// Why a batch could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// An event could not be decoded or does not fit the model (a bug, or a poison event).
    #[error("event at position {position} ({event_type}): {reason}")]
    Event {
        /// Its global position.
        position: i64,
        /// Its type.
        event_type: String,
        /// What went wrong.
        reason: String,
    },
    /// The database failed (possibly transient).
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl ApplyError {
    /// An error about one event.
    pub fn event(event: &RecordedEvent, reason: impl std::fmt::Display) -> Self {
        ApplyError::Event {
            position: event.position,
            event_type: event.event_type.clone(),
            reason: reason.to_string(),
        }
    }
}

/// Event type names as owned strings (what [`Projection::event_types`] returns).
pub fn types(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}
