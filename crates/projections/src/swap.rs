//! Finishing a rebuild while the live workers keep running: swapping the shadow copy in, or
//! comparing it with the live model at the same point of the log (a dry run).
//!
//! Both end in one transaction that first locks the live tables, then applies to the shadow copy
//! the last events the log gained meanwhile, so that nothing falls between the copy and the live
//! model:
//!
//! - **swap**: the live tables are locked against everything (readers wait a moment), the live
//!   schema is dropped and the shadow schema renamed in its place, and the live checkpoint is set
//!   to the shadow's. A live worker that was mid-batch finishes first (its locks come before
//!   ours); its next commit finds the checkpoint moved (compare-and-set), so it reloads and goes
//!   on from the new one. No event is lost or applied twice: the new tables hold exactly the
//!   events up to the new checkpoint.
//! - **dry run**: the live tables are locked against writes only, the shadow copy is brought to
//!   the live checkpoint, both are compared row for row, and the transaction is rolled back.
//!
//! What "the last events" are is decided by the global log's rule (only below the oldest
//! transaction in flight). An ACCESS EXCLUSIVE lock gives the swap's transaction its id when it
//! asks for the lock, so events of transactions that start later are not readable inside it; they
//! land after the new checkpoint, and the live worker applies them once it has reloaded it.
//!
//! Lock waits are bounded (`lock_timeout`) and a deadlock with a worker is possible (it takes the
//! tables in its own order); either makes the attempt roll back and start again.

use crate::checkpoint::APPLIED_CHANNEL;
use crate::projection::{ApplyError, Projection};
use crate::session::apply_unblocked;
use crate::shadow::{RebuildError, ShadowRun, TableDifference, compare_on, shadow_checkpoint, shadow_schema};
use brigade_eventstore::{GlobalPosition, LogRange, Partition, StoreError, read_log, readable_head};
use serde::Serialize;
use sqlx::{Connection, PgConnection};
use std::collections::HashMap;
use std::time::Duration;

/// How many events the final transaction applies at most; beyond that it catches up outside the
/// lock first and tries again.
const FINAL_STRETCH: u32 = 20_000;
/// How many times a swap or a dry run tries before giving up.
const ATTEMPTS: u32 = 20;

/// A swap that happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Swapped {
    /// The live checkpoint after the swap.
    pub checkpoint: GlobalPosition,
    /// Events applied inside the swap's transaction (those that arrived during the last catch-up).
    pub applied_during_swap: usize,
    /// Attempts it took.
    pub attempts: u32,
}

/// A dry run's outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// The point of the log both sides were compared at (the live checkpoint; with partitions,
    /// the furthest of theirs, each partition having been compared at its own).
    pub at: GlobalPosition,
    /// Every table that differs (none: the live model is what the events say it should be).
    pub differences: Vec<TableDifference>,
}

/// Why one attempt did not go through.
enum Attempt {
    Again(String),
    Failed(RebuildError),
}

impl From<sqlx::Error> for Attempt {
    fn from(e: sqlx::Error) -> Self {
        let code = e.as_database_error().and_then(|d| d.code()).unwrap_or_default();
        // deadlock, lock timeout, serialization failure: live traffic got in the way.
        if ["40P01", "55P03", "40001"].contains(&code.as_ref()) {
            Attempt::Again(e.to_string())
        } else {
            Attempt::Failed(e.into())
        }
    }
}

impl From<StoreError> for Attempt {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Database(e) => e.into(),
            other => Attempt::Failed(other.into()),
        }
    }
}

impl From<ApplyError> for Attempt {
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::Database(e) => e.into(),
            // An event the model refuses: the next catch-up outside the lock parks it.
            event @ ApplyError::Event { .. } => Attempt::Again(event.to_string()),
        }
    }
}

impl ShadowRun {
    /// Catches the shadow copy up and swaps it in for the live model. Consumes the run: the
    /// shadow copy becomes the live model.
    pub async fn swap_in(mut self) -> Result<Swapped, RebuildError> {
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            self.catch_up().await?;
            match self.try_swap().await {
                Ok(Some((checkpoint, applied_during_swap))) => {
                    self.close().await;
                    return Ok(Swapped {
                        checkpoint,
                        applied_during_swap,
                        attempts: attempt,
                    });
                }
                Ok(None) => last = "the log moved on too far during the swap".into(),
                Err(Attempt::Again(reason)) => last = reason,
                Err(Attempt::Failed(error)) => return Err(error),
            }
            tracing::info!(projection = self.projection().name(), attempt, reason = %last, "swap attempt rolled back");
            tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
        }
        Err(RebuildError::SwapGaveUp {
            projection: self.projection().name().to_owned(),
            attempts: ATTEMPTS,
            last,
        })
    }

    async fn try_swap(&mut self) -> Result<Option<(GlobalPosition, usize)>, Attempt> {
        let projection = self.session.projection.clone();
        let live = projection.schema();
        let shadow = shadow_schema(projection.as_ref());
        let rebuild_name = shadow_checkpoint(projection.as_ref());
        let from = self.session.cursor;
        let mut tx = self.session.lease.connection().begin().await?;
        lock_live(&mut tx, projection.as_ref(), "ACCESS EXCLUSIVE").await?;
        let Some((applied, to)) = finish(&mut tx, projection.as_ref(), &self.session.blocked, from, None).await? else {
            return Ok(None);
        };
        sqlx::query(&format!("DROP SCHEMA \"{live}\" CASCADE"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("ALTER SCHEMA \"{shadow}\" RENAME TO \"{live}\""))
            .execute(&mut *tx)
            .await?;
        // The processes' roles get on the new schema what they had on the old one.
        sqlx::query("SELECT brigade_grant_read_model($1)")
            .bind(live)
            .execute(&mut *tx)
            .await?;
        // Every partition's checkpoint moves to the shadow's (each live worker's next commit
        // then finds its own moved, and reloads), and each takes the parked events of its own
        // organizations. The count cannot change meanwhile: a split updates this row.
        let parts: Option<i32> =
            sqlx::query_scalar("SELECT parts FROM projection_partitions WHERE projection = $1 FOR SHARE")
                .bind(projection.name())
                .fetch_optional(&mut *tx)
                .await?;
        let parts = parts.and_then(|n| u16::try_from(n).ok()).unwrap_or(1);
        for partition in Partition::all(parts) {
            let name = partition.name(projection.name());
            sqlx::query("INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
                .bind(&name)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE projection_checkpoints l SET transaction_id = $2, position = $3, \
                        applied_events = r.applied_events + $4, last_error = r.last_error, retry_requested = false, \
                        updated_at = now() \
                   FROM projection_checkpoints r WHERE l.name = $1 AND r.name = $5",
            )
            .bind(&name)
            .bind(to.transaction_id)
            .bind(to.position)
            .bind(i64::try_from(applied).unwrap_or(i64::MAX))
            .bind(&rebuild_name)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM projection_parked WHERE name = $1")
                .bind(&name)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE projection_parked SET name = $1 WHERE name = $2 AND ($3 = 1 OR brigade_partition(tenant_id, $3) = $4)",
            )
            .bind(&name)
            .bind(&rebuild_name)
            .bind(i32::from(parts))
            .bind(i32::from(partition.index()))
            .execute(&mut *tx)
            .await?;
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(APPLIED_CHANNEL)
                .bind(format!("{name} {} {}", to.transaction_id, to.position))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM projection_checkpoints WHERE name = $1")
            .bind(&rebuild_name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.session.cursor = to;
        Ok(Some((to, applied)))
    }

    /// Brings the shadow copy to the live model's checkpoint and compares the two there, row for
    /// row (a dry run: the live model is not touched, and writes to it wait a moment).
    pub async fn compare_with_live(&mut self) -> Result<Comparison, RebuildError> {
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let live_at = self.live_checkpoint().await?;
            if live_at > self.session.cursor {
                self.session.catch_up(Some(live_at)).await?;
            }
            match self.try_compare().await {
                Ok(Some(comparison)) => return Ok(comparison),
                Ok(None) => last = "the live model moved on too far during the comparison".into(),
                Err(Attempt::Again(reason)) => last = reason,
                Err(Attempt::Failed(error)) => return Err(error),
            }
            tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
        }
        Err(RebuildError::SwapGaveUp {
            projection: self.projection().name().to_owned(),
            attempts: ATTEMPTS,
            last,
        })
    }

    async fn live_checkpoint(&mut self) -> Result<GlobalPosition, sqlx::Error> {
        let name = self.session.projection.name().to_owned();
        let live = live_checkpoints(self.session.lease.connection(), &name).await?;
        Ok(live.first().map_or(GlobalPosition::START, |(_, at)| *at))
    }

    /// Compares each partition at its own checkpoint, earliest first: the shadow copy moves
    /// forward to each in turn, and a partition's rows depend only on its own organizations'
    /// events, so each is compared at exactly the point its live rows are at.
    async fn try_compare(&mut self) -> Result<Option<Comparison>, Attempt> {
        let projection = self.session.projection.clone();
        let mut from = self.session.cursor;
        let mut tx = self.session.lease.connection().begin().await?;
        lock_live(&mut tx, projection.as_ref(), "SHARE").await?;
        let live = live_checkpoints(&mut tx, projection.name()).await?;
        let mut differences: Vec<TableDifference> = Vec::new();
        let mut at = from;
        for (partition, checkpoint) in live {
            // The shadow never runs ahead of the live checkpoints here (it was caught up to an
            // earlier reading of the earliest), unless the live model was reset meanwhile.
            if checkpoint < from {
                return Err(Attempt::Again("the live model was reset during the comparison".into()));
            }
            if finish(
                &mut tx,
                projection.as_ref(),
                &self.session.blocked,
                from,
                Some(checkpoint),
            )
            .await?
            .is_none()
            {
                return Ok(None);
            }
            from = checkpoint;
            at = checkpoint;
            for found in compare_on(&mut tx, projection.as_ref(), partition).await? {
                match differences.iter_mut().find(|d| d.table == found.table) {
                    Some(d) => {
                        d.only_live += found.only_live;
                        d.only_rebuilt += found.only_rebuilt;
                        d.live_rows.extend(found.live_rows);
                        d.rebuilt_rows.extend(found.rebuilt_rows);
                    }
                    None => differences.push(found),
                }
            }
        }
        // What the final stretch applied to the shadow copy goes away with the transaction.
        tx.rollback().await?;
        Ok(Some(Comparison { at, differences }))
    }
}

/// Every partition of the live model with its checkpoint, earliest first.
async fn live_checkpoints(
    connection: &mut PgConnection,
    projection: &str,
) -> Result<Vec<(Partition, GlobalPosition)>, sqlx::Error> {
    let parts = crate::partitions::parts(&mut *connection, projection).await?;
    let names: Vec<String> = Partition::all(parts).map(|p| p.name(projection)).collect();
    let rows: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT name, transaction_id, position FROM projection_checkpoints WHERE name = ANY($1)")
            .bind(&names)
            .fetch_all(&mut *connection)
            .await?;
    let mut live: Vec<(Partition, GlobalPosition)> = Partition::all(parts)
        .map(|partition| {
            let name = partition.name(projection);
            let at = rows.iter().find(|(n, _, _)| *n == name).map_or(
                GlobalPosition::START,
                |(_, transaction_id, position)| GlobalPosition {
                    transaction_id: *transaction_id,
                    position: *position,
                },
            );
            (partition, at)
        })
        .collect();
    live.sort_by_key(|(_, at)| *at);
    Ok(live)
}

/// Locks the live tables, in the projection's table order, waiting at most a few seconds.
async fn lock_live(tx: &mut PgConnection, projection: &dyn Projection, mode: &str) -> Result<(), sqlx::Error> {
    let live = projection.schema();
    let tables: Vec<String> = projection
        .tables()
        .iter()
        .map(|t| format!("\"{live}\".\"{t}\""))
        .collect();
    sqlx::query("SET LOCAL lock_timeout = '5s'").execute(&mut *tx).await?;
    sqlx::query(&format!("LOCK TABLE {} IN {mode} MODE", tables.join(", ")))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Applies to the shadow copy, inside the caller's transaction, the events of the projection's
/// types after `from` up to `until` (or the end of the readable log), keeping parked streams
/// parked. Returns the events applied and the point reached, or `None` when there are too many
/// to apply under the lock.
async fn finish(
    tx: &mut PgConnection,
    projection: &dyn Projection,
    blocked: &HashMap<String, i64>,
    from: GlobalPosition,
    until: Option<GlobalPosition>,
) -> Result<Option<(usize, GlobalPosition)>, Attempt> {
    let until = match until {
        Some(until) => until,
        None => readable_head(&mut *tx).await?.unwrap_or(from),
    };
    if until <= from {
        return Ok(Some((0, from)));
    }
    let range = LogRange {
        after: from,
        until: Some(until),
        types: Some(projection.event_types()),
        limit: FINAL_STRETCH,
        partition: Partition::WHOLE,
    };
    let events = read_log(&mut *tx, range).await?;
    if events.len() == FINAL_STRETCH as usize {
        return Ok(None);
    }
    sqlx::query(&format!(
        "SET LOCAL search_path TO \"{}\", public",
        shadow_schema(projection)
    ))
    .execute(&mut *tx)
    .await?;
    let applied = apply_unblocked(&mut *tx, projection, blocked, &shadow_checkpoint(projection), &events).await?;
    sqlx::query("SET LOCAL search_path TO public").execute(&mut *tx).await?;
    Ok(Some((applied, until)))
}
