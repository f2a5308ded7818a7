//! The global log: every event of every tenant in one total order that all readers agree on.
//!
//! Positions come from an identity column, assigned at insert but visible at commit, so position
//! 11 can be visible before position 10 is. A reader that checkpoints "last seen = 11" would lose
//! 10 forever. Instead each event carries its writing transaction's id (`xid8`), readers only read
//! rows whose transaction is older than the oldest one still in flight
//! (`pg_snapshot_xmin(pg_current_snapshot())`), and the order and the checkpoint are
//! `(transaction_id, position)`. Everything below that bound is final: no later commit can land
//! behind a checkpoint.

use crate::error::StoreError;
use crate::partition::Partition;
use crate::store::EventStore;
use crate::stream::{EVENT_COLUMNS, EventRow, RecordedEvent, Xid8};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;
use std::sync::LazyLock;
use std::time::Duration;

/// The channel `brigade_append` notifies on commit.
pub const NOTIFY_CHANNEL: &str = "brigade_events";

/// A point in the global log: the last event a reader has seen. Order is lexicographic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GlobalPosition {
    /// Writing transaction of the last event seen.
    pub transaction_id: i64,
    /// Its position.
    pub position: i64,
}

impl GlobalPosition {
    /// Before the first event.
    pub const START: GlobalPosition = GlobalPosition {
        transaction_id: 0,
        position: 0,
    };

    /// The position of an event (to checkpoint after it).
    pub fn of(event: &RecordedEvent) -> Self {
        Self {
            transaction_id: event.transaction_id,
            position: event.position,
        }
    }
}

static READ_GLOBAL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {EVENT_COLUMNS} FROM events \
         WHERE (transaction_id, position) > ($1::text::xid8, $2) \
           AND transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
         ORDER BY events.transaction_id, events.position LIMIT $3"
    )
});

static READ_SELECTED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {EVENT_COLUMNS} FROM events \
         WHERE (transaction_id, position) > ($1::text::xid8, $2) \
           AND transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
           AND ($4::text IS NULL OR (transaction_id, position) <= ($4::text::xid8, $5)) \
           AND ($6::text[] IS NULL OR event_type = ANY($6)) \
         ORDER BY events.transaction_id, events.position LIMIT $3"
    )
});

/// [`READ_SELECTED`] for one partition of several. A statement of its own, so that an
/// installation of one partition reads with the statement (and plan) it always had: with the
/// predicate as `$7 = 1 OR ...`, every row of every catch-up paid for it (2-7% of the catch-up
/// rate, BENCHMARKS.md, issue 19).
static READ_PARTITION: LazyLock<String> =
    LazyLock::new(|| READ_SELECTED.replace(" ORDER BY", " AND brigade_partition(tenant_id, $7) = $8 ORDER BY"));

/// Which part of the global log to read: what projections and the relay ask for.
#[derive(Clone, Copy, Debug)]
pub struct LogRange<'a> {
    /// Events after this point.
    pub after: GlobalPosition,
    /// Up to and including this point, if given.
    pub until: Option<GlobalPosition>,
    /// Only these event types, if given.
    pub types: Option<&'a [String]>,
    /// At most this many events.
    pub limit: u32,
    /// Only the events of this partition's organizations ([`Partition::WHOLE`]: all).
    pub partition: Partition,
}

/// Reads part of the global log through any connection (a projection reads through the connection
/// that holds its lock, so that losing the lock stops it). Only events that can no longer be
/// preceded by a later commit are returned, as with [`EventStore::read_global`], which stays a
/// statement of its own: the relay and the benchmark read the whole log, and its plan is the one
/// measured in BENCHMARKS.md.
pub async fn read_log<'e, E>(executor: E, range: LogRange<'_>) -> Result<Vec<RecordedEvent>, StoreError>
where
    E: sqlx::PgExecutor<'e>,
{
    let whole = range.partition.count() == 1;
    let query = sqlx::query_as(if whole { &READ_SELECTED } else { &READ_PARTITION })
        .bind(range.after.transaction_id.to_string())
        .bind(range.after.position)
        .bind(i64::from(range.limit))
        .bind(range.until.map(|u| u.transaction_id.to_string()))
        .bind(range.until.map_or(0, |u| u.position))
        .bind(range.types);
    let query = if whole {
        query
    } else {
        query
            .bind(i32::from(range.partition.count()))
            .bind(i32::from(range.partition.index()))
    };
    let rows: Vec<EventRow> = query.fetch_all(executor).await?;
    Ok(rows.into_iter().map(RecordedEvent::from).collect())
}

static READ_AT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE position = ANY($1) ORDER BY events.transaction_id, events.position"
    )
});

/// The events at these global positions, in log order (parked events, when a projection retries
/// them).
pub async fn read_positions<'e, E>(executor: E, positions: &[i64]) -> Result<Vec<RecordedEvent>, StoreError>
where
    E: sqlx::PgExecutor<'e>,
{
    let rows: Vec<EventRow> = sqlx::query_as(&READ_AT).bind(positions).fetch_all(executor).await?;
    Ok(rows.into_iter().map(RecordedEvent::from).collect())
}

/// The last event written (committed or not yet visible to log readers): the head lag is measured
/// against. `None` for an empty store.
pub async fn head<'e, E>(executor: E) -> Result<Option<(GlobalPosition, chrono::DateTime<chrono::Utc>)>, StoreError>
where
    E: sqlx::PgExecutor<'e>,
{
    let row: Option<(Xid8, i64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT transaction_id, position, recorded_at FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1",
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|(t, position, at)| {
        (
            GlobalPosition {
                transaction_id: t.0,
                position,
            },
            at,
        )
    }))
}

/// The last event a log reader can read now (below the oldest transaction in flight). Everything
/// up to it is final: a reader that has read every event of its kinds up to it may move its
/// checkpoint there. `None` when nothing is readable yet.
pub async fn readable_head<'e, E>(executor: E) -> Result<Option<GlobalPosition>, StoreError>
where
    E: sqlx::PgExecutor<'e>,
{
    let row: Option<(Xid8, i64)> = sqlx::query_as(
        "SELECT transaction_id, position FROM events \
          WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
          ORDER BY transaction_id DESC, position DESC LIMIT 1",
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|(t, position)| GlobalPosition {
        transaction_id: t.0,
        position,
    }))
}

impl EventStore {
    /// Up to `limit` events after `after`, in global order. Only events that can no longer be
    /// preceded by a later commit are returned, so checkpointing the last one is safe.
    pub async fn read_global(&self, after: GlobalPosition, limit: u32) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(&READ_GLOBAL)
            .bind(after.transaction_id.to_string())
            .bind(after.position)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(RecordedEvent::from).collect())
    }

    /// A reader that follows the log from `from`, woken by commits.
    pub async fn tail(&self, from: GlobalPosition) -> Result<Tail, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(NOTIFY_CHANNEL).await?;
        Ok(Tail {
            store: self.clone(),
            listener,
            position: from,
            poll: Duration::from_millis(250),
        })
    }

    /// The highest position written so far (0 for an empty store). For lag figures only: it is
    /// not a safe checkpoint.
    pub async fn head_position(&self) -> Result<i64, StoreError> {
        let head: Option<i64> = sqlx::query_scalar("SELECT max(position) FROM events")
            .fetch_one(&self.pool)
            .await?;
        Ok(head.unwrap_or(0))
    }
}

/// Follows the global log: each call to [`next_batch`](Tail::next_batch) returns the next events
/// in order, waiting for a commit notification (or, should one be missed, the polling interval).
pub struct Tail {
    store: EventStore,
    listener: PgListener,
    position: GlobalPosition,
    poll: Duration,
}

impl Tail {
    /// Sets how long to wait between reads when no notification arrives.
    pub fn with_poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// The position after the last event returned.
    pub fn position(&self) -> GlobalPosition {
        self.position
    }

    /// The next events after the current position (at most `limit`) if there are any now; does not
    /// wait.
    pub async fn poll_batch(&mut self, limit: u32) -> Result<Vec<RecordedEvent>, StoreError> {
        let batch = self.store.read_global(self.position, limit).await?;
        if let Some(last) = batch.last() {
            self.position = GlobalPosition::of(last);
        }
        Ok(batch)
    }

    /// The next events after the current position (at most `limit`), waiting until there are some.
    ///
    /// A commit notification can arrive while its events are still held back by an older
    /// transaction in flight (anywhere in the cluster: transaction ids are cluster-wide). So after
    /// a wake-up that finds nothing, the reader looks again after 5 ms, 10 ms, 20 ms... up to the
    /// polling interval, rather than sleeping a whole interval.
    pub async fn next_batch(&mut self, limit: u32) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut retry: Option<Duration> = None;
        loop {
            let batch = self.poll_batch(limit).await?;
            if !batch.is_empty() {
                return Ok(batch);
            }
            let wait = retry.unwrap_or(self.poll);
            match tokio::time::timeout(wait, self.listener.try_recv()).await {
                Ok(Err(e)) => return Err(e.into()),
                Ok(Ok(Some(_))) => retry = Some(Duration::from_millis(5)),
                Ok(Ok(None)) | Err(_) => retry = retry.map(|r| (r * 2).min(self.poll)),
            }
        }
    }
}
