//! What a worker does while it holds a projection's lease: apply batches together with the
//! checkpoint in one transaction, catch up from the store, and park what cannot be applied.
//!
//! Exactly once rests on three things, all here: the read model's rows and the checkpoint are
//! written in one transaction; the checkpoint only moves forward, compared-and-set (a batch whose
//! starting point is not the stored checkpoint does not commit); and every event at or below the
//! checkpoint is skipped, whichever way it arrives.

use crate::checkpoint;
use crate::projection::{ApplyError, Projection};
use brigade_eventstore::{
    GlobalPosition, Lease, LogRange, Partition, RecordedEvent, StoreError, read_log, read_positions, readable_head,
};
use sqlx::Connection;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Where a session writes: the live tables, or a shadow copy being rebuilt.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// The checkpoint row.
    pub checkpoint: String,
    /// The schema the tables are in.
    pub schema: String,
    /// The organizations whose events it applies (a rebuild's shadow copy: all of them).
    pub partition: Partition,
}

/// Why a session ended.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Another process moved the checkpoint: this one is no longer the leader.
    #[error("the checkpoint moved under this worker (another worker is active)")]
    Fenced,
    /// The database failed in a way retries did not cure.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Reading the log failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The installation runs this projection in another number of partitions than this worker
    /// was started with.
    #[error(
        "{projection} runs in {stored} partition(s) in this installation, and this worker was started with {configured}: \
         start it with BRIGADE_PARTITIONS={stored} (or a larger power of two, to split; the count cannot be lowered)"
    )]
    Repartitioned {
        /// The projection.
        projection: String,
        /// Its partitions in the installation.
        stored: u16,
        /// The worker's.
        configured: u16,
    },
}

/// A worker holding the lease of one projection.
pub(crate) struct Session {
    pub lease: Lease,
    pub projection: Arc<dyn Projection>,
    pub target: Target,
    pub cursor: GlobalPosition,
    /// Streams with a parked event, and the position of the first one: nothing later of them is
    /// applied until an operator's retry succeeds.
    pub blocked: HashMap<String, i64>,
    pub retry_delays: Vec<Duration>,
    pub catch_up_batch: u32,
}

impl Session {
    /// Starts on a held lease: reads the checkpoint and the parked streams.
    pub async fn start(
        mut lease: Lease,
        projection: Arc<dyn Projection>,
        target: Target,
        retry_delays: Vec<Duration>,
        catch_up_batch: u32,
    ) -> Result<Self, SessionError> {
        let cursor = checkpoint::load(lease.connection(), &target.checkpoint).await?;
        let parked: Vec<(String, i64)> =
            sqlx::query_as("SELECT stream_id, min(position) FROM projection_parked WHERE name = $1 GROUP BY stream_id")
                .bind(&target.checkpoint)
                .fetch_all(lease.connection())
                .await?;
        Ok(Self {
            lease,
            projection,
            target,
            cursor,
            blocked: parked.into_iter().collect(),
            retry_delays,
            catch_up_batch,
        })
    }

    /// Does this session apply this event (of the projection's types, and of an organization
    /// in its partition)? The others only move its checkpoint.
    pub fn wants(&self, event: &RecordedEvent) -> bool {
        self.projection.event_types().contains(&event.event_type) && self.target.partition.contains(event.tenant_id.0)
    }

    /// Applies everything of its types from the store after the checkpoint, up to `until` (or to
    /// the end of the readable log), in large batches, and moves the checkpoint there (past events
    /// of other types too). Returns how many events it applied.
    pub async fn catch_up(&mut self, until: Option<GlobalPosition>) -> Result<usize, SessionError> {
        // The end is fixed first: everything up to it is final, so once the filtered reads below
        // have returned every wanted event up to it, the checkpoint may move there.
        let until = match until {
            Some(until) => until,
            None => match readable_head(self.lease.connection()).await? {
                Some(head) if head > self.cursor => head,
                _ => return Ok(0),
            },
        };
        let mut applied = 0;
        loop {
            let (n, reached) = self.catch_up_page(until).await?;
            applied += n;
            if reached {
                return Ok(applied);
            }
        }
    }

    /// One page of a catch-up towards `until` (a point of the readable log): applies up to
    /// `catch_up_batch` events and moves the checkpoint past them, or to `until` once the page
    /// holds the last of them. Returns the events applied and whether `until` was reached.
    pub async fn catch_up_page(&mut self, until: GlobalPosition) -> Result<(usize, bool), SessionError> {
        if until <= self.cursor {
            return Ok((0, true));
        }
        let projection = self.projection.clone();
        let range = LogRange {
            after: self.cursor,
            until: Some(until),
            types: Some(projection.event_types()),
            limit: self.catch_up_batch,
            partition: self.target.partition,
        };
        let batch = read_log(self.lease.connection(), range).await?;
        let applied = batch.len();
        let full = applied == self.catch_up_batch as usize;
        // The last page also carries the checkpoint to the end.
        let to = match batch.last() {
            Some(last) if full => GlobalPosition::of(last),
            _ => until,
        };
        self.commit(batch, to).await?;
        Ok((applied, !full))
    }

    /// Applies `events` (of wanted types, in order, all after the checkpoint) and moves the
    /// checkpoint to `to` (at or after the last of them), in one transaction. Retries with
    /// back-off; an event that keeps failing on its own is parked.
    pub async fn commit(&mut self, events: Vec<RecordedEvent>, to: GlobalPosition) -> Result<(), SessionError> {
        if events.is_empty() && to <= self.cursor {
            return Ok(());
        }
        let error = match self.attempt(&events, to).await {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        // Fenced, or the database itself failing: no event is to blame; the session ends.
        if !is_about_the_event(&error) {
            return Err(error_into_session(error));
        }
        if events.len() <= 1 {
            if let Some(event) = events.first() {
                self.park(event, &error, to).await?;
                return Ok(());
            }
            return Err(error_into_session(error));
        }
        // Find the culprit: one event at a time, each with its own retries.
        tracing::warn!(projection = self.projection.name(), %error, "batch failed; applying its events one by one");
        for event in events {
            let at = GlobalPosition::of(&event);
            let single = vec![event];
            match self.attempt(&single, at).await {
                Ok(()) => {}
                Err(error) => self.park(&single[0], &error, at).await?,
            }
        }
        self.attempt(&[], to).await.map_err(error_into_session)
    }

    /// One transaction, retried with back-off while the error could be transient.
    async fn attempt(&mut self, events: &[RecordedEvent], to: GlobalPosition) -> Result<(), ApplyError> {
        let mut delays = self.retry_delays.clone().into_iter();
        loop {
            match self.transaction(events, to).await {
                Ok(()) => {
                    self.cursor = to;
                    return Ok(());
                }
                Err(ApplyError::Database(sqlx::Error::RowNotFound)) => {
                    return Err(ApplyError::Database(sqlx::Error::RowNotFound));
                }
                Err(error) => match delays.next() {
                    Some(delay) => {
                        tracing::debug!(projection = self.projection.name(), %error, ?delay, "apply failed; retrying");
                        tokio::time::sleep(delay).await;
                    }
                    None => return Err(error),
                },
            }
        }
    }

    async fn transaction(&mut self, events: &[RecordedEvent], to: GlobalPosition) -> Result<(), ApplyError> {
        let from = self.cursor;
        let name = self.target.checkpoint.clone();
        let mut tx = begin_in(self.lease.connection(), &self.target.schema).await?;
        let applied = apply_unblocked(&mut tx, self.projection.as_ref(), &self.blocked, &name, events).await?;
        checkpoint::advance(&mut tx, &name, from, to, applied).await?;
        tx.commit().await?;
        metrics::counter!("brigade_projection_events_applied_total", "projection" => name.clone())
            .increment(applied as u64);
        metrics::gauge!("brigade_projection_position", "projection" => name).set(to.position as f64);
        Ok(())
    }

    /// Parks an event that cannot be applied, moves the checkpoint past it, and blocks its stream.
    /// A database failure that is not about the event (the connection, the server) is not parked:
    /// it ends the session, and the event is tried again when the worker comes back.
    async fn park(
        &mut self,
        event: &RecordedEvent,
        error: &ApplyError,
        to: GlobalPosition,
    ) -> Result<(), SessionError> {
        if !is_about_the_event(error) {
            return Err(error_into_session(clone_error(error)));
        }
        tracing::error!(projection = self.projection.name(), position = event.position, stream = %event.stream_id,
            %error, "event parked; the projection is unhealthy until an operator retries it");
        let name = self.target.checkpoint.clone();
        let from = self.cursor;
        let message = error.to_string();
        let mut tx = self.lease.connection().begin().await?;
        insert_parked(&mut tx, &name, event, &message).await?;
        checkpoint::set_error(&mut tx, &name, Some(&message)).await?;
        checkpoint::advance(&mut tx, &name, from, to, 0)
            .await
            .map_err(|e| match e {
                sqlx::Error::RowNotFound => SessionError::Fenced,
                other => other.into(),
            })?;
        tx.commit().await?;
        metrics::counter!("brigade_projection_events_parked_total", "projection" => name).increment(1);
        self.cursor = to;
        self.blocked.entry(event.stream_id.clone()).or_insert(event.position);
        Ok(())
    }

    /// Whether an operator asked to retry the parked events.
    pub async fn retry_requested(&mut self) -> Result<bool, SessionError> {
        let requested: Option<bool> =
            sqlx::query_scalar("SELECT retry_requested FROM projection_checkpoints WHERE name = $1")
                .bind(&self.target.checkpoint)
                .fetch_optional(self.lease.connection())
                .await?;
        Ok(requested.unwrap_or(false))
    }

    /// Re-applies the parked events in log order, stream by stream; what succeeds is unparked,
    /// a stream whose event fails again stays blocked from there on.
    pub async fn retry_parked(&mut self) -> Result<usize, SessionError> {
        let name = self.target.checkpoint.clone();
        let positions: Vec<i64> = sqlx::query_scalar(
            "SELECT position FROM projection_parked WHERE name = $1 ORDER BY transaction_id, position",
        )
        .bind(&name)
        .fetch_all(self.lease.connection())
        .await?;
        let events = read_positions(self.lease.connection(), &positions).await?;
        let mut still_failing: HashMap<String, i64> = HashMap::new();
        let mut unparked = 0;
        for event in events {
            if still_failing.contains_key(&event.stream_id) {
                continue;
            }
            match self.reapply(&event).await {
                Ok(()) => unparked += 1,
                Err(error) => {
                    sqlx::query("UPDATE projection_parked SET error = $3 WHERE name = $1 AND position = $2")
                        .bind(&name)
                        .bind(event.position)
                        .bind(error.to_string())
                        .execute(self.lease.connection())
                        .await?;
                    still_failing.insert(event.stream_id.clone(), event.position);
                }
            }
        }
        let error = (!still_failing.is_empty()).then(|| format!("{} stream(s) still parked", still_failing.len()));
        sqlx::query("UPDATE projection_checkpoints SET retry_requested = false, last_error = $2 WHERE name = $1")
            .bind(&name)
            .bind(error)
            .execute(self.lease.connection())
            .await?;
        self.blocked = still_failing;
        tracing::info!(projection = %name, unparked, still_blocked = self.blocked.len(), "parked events retried");
        Ok(unparked)
    }

    async fn reapply(&mut self, event: &RecordedEvent) -> Result<(), ApplyError> {
        let name = self.target.checkpoint.clone();
        let wanted = self.wants(event);
        let mut tx = begin_in(self.lease.connection(), &self.target.schema).await?;
        if wanted {
            self.projection.apply(&mut tx, std::slice::from_ref(event)).await?;
        }
        sqlx::query("DELETE FROM projection_parked WHERE name = $1 AND position = $2")
            .bind(&name)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Begins a transaction that reads and writes `schema`'s tables (BEGIN and the schema in one round
/// trip).
async fn begin_in<'c>(
    connection: &'c mut sqlx::PgConnection,
    schema: &str,
) -> Result<sqlx::Transaction<'c, sqlx::Postgres>, sqlx::Error> {
    connection
        .begin_with(format!("BEGIN; SET LOCAL search_path TO \"{schema}\", public"))
        .await
}

/// Applies `events` inside the caller's transaction (its `search_path` already set), except those
/// of a blocked stream, which are parked behind the stream's first parked event under
/// `checkpoint`, never applied out of order. Returns how many were applied. Usually nothing is
/// blocked, and the batch goes to the projection as it is.
pub(crate) async fn apply_unblocked(
    tx: &mut sqlx::PgConnection,
    projection: &dyn Projection,
    blocked: &HashMap<String, i64>,
    checkpoint: &str,
    events: &[RecordedEvent],
) -> Result<usize, ApplyError> {
    if blocked.is_empty() {
        if !events.is_empty() {
            projection.apply(tx, events).await?;
        }
        return Ok(events.len());
    }
    let (ready, held): (Vec<&RecordedEvent>, Vec<&RecordedEvent>) =
        events.iter().partition(|e| !blocked.contains_key(&e.stream_id));
    let ready: Vec<RecordedEvent> = ready.into_iter().cloned().collect();
    if !ready.is_empty() {
        projection.apply(&mut *tx, &ready).await?;
    }
    for event in held {
        let first = blocked.get(&event.stream_id).copied().unwrap_or_default();
        let reason = format!("held behind the parked event at position {first}");
        insert_parked(&mut *tx, checkpoint, event, &reason).await?;
    }
    Ok(ready.len())
}

async fn insert_parked(
    connection: &mut sqlx::PgConnection,
    name: &str,
    event: &RecordedEvent,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO projection_parked (name, position, transaction_id, tenant_id, stream_id, event_type, error) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(name)
    .bind(event.position)
    .bind(event.transaction_id)
    .bind(event.tenant_id.0)
    .bind(&event.stream_id)
    .bind(&event.event_type)
    .bind(error)
    .execute(connection)
    .await?;
    Ok(())
}

/// An error caused by the event itself (bad data, a rule of the model, a constraint or type
/// error in PostgreSQL), as opposed to the database being unreachable.
fn is_about_the_event(error: &ApplyError) -> bool {
    match error {
        ApplyError::Event { .. } => true,
        ApplyError::Database(sqlx::Error::Database(db)) => {
            let code = db.code().unwrap_or_default();
            ["22", "23", "42", "P0"].iter().any(|class| code.starts_with(class))
        }
        ApplyError::Database(_) => false,
    }
}

fn clone_error(error: &ApplyError) -> ApplyError {
    match error {
        ApplyError::Event {
            position,
            event_type,
            reason,
        } => ApplyError::Event {
            position: *position,
            event_type: event_type.clone(),
            reason: reason.clone(),
        },
        ApplyError::Database(e) => ApplyError::Database(sqlx::Error::Protocol(e.to_string())),
    }
}

fn error_into_session(error: ApplyError) -> SessionError {
    match error {
        ApplyError::Database(sqlx::Error::RowNotFound) => SessionError::Fenced,
        ApplyError::Database(e) => SessionError::Database(e),
        other => SessionError::Database(sqlx::Error::Protocol(other.to_string())),
    }
}
