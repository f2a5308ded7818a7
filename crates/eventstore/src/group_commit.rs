//! Group commit: concurrent appends of one process share a transaction.
//!
//! An append alone costs a round trip, a transaction and a WAL flush, and at 32 concurrent
//! writers that overhead, not the work inside `brigade_append`, was most of the store's time. So
//! appends queue here, and a few writer tasks each take whatever has queued (up to
//! [`MAX_BATCH`]) and write it with one call of `brigade_append_batch`
//! (migrations/0008_group_commit.sql) in one transaction. Nobody waits for a batch to fill: a
//! writer takes what is there, so a lone append goes out at once, and batches grow only while
//! the writers are busy, which is exactly when sharing pays.
//!
//! Each command of a batch runs in its own subtransaction, exactly as it would alone: a failed
//! expectation or a racing duplicate undoes that command only and comes back as its own
//! failure. Every caller is answered after the batch's commit, so an acknowledged append is
//! durable as before. A batch that fails as a whole (the connection dropped, say) is replayed
//! one command at a time, each in its own transaction; a command that did commit is then found
//! by its command id and answered as the repeat it is.

use crate::append::{AppendArgs, Failure, OutcomeRow, append_alone, known_failure};
use crate::batcher::{Batcher, Pending};
use futures_util::FutureExt;
use sqlx::PgPool;
use uuid::Uuid;

/// The most commands in one transaction. Each is a subtransaction, and a backend that has
/// written in more than 64 of them makes every snapshot in the cluster slower (its subtransaction
/// cache overflows), so batches stay well below.
pub(crate) const MAX_BATCH: usize = 32;

/// Writer tasks, each with at most one batch in flight: while some wait on their commit's flush,
/// others are being written. The store's benchmark at 8 and 32 concurrent writers did best with
/// eight of them (with two: 0.38 and 0.59 of the raw insert rate; with eight: 0.46 and 0.65).
const WRITERS: usize = 8;

/// One queued append.
struct Queued {
    tenant: Uuid,
    command_id: Uuid,
    args: AppendArgs,
}

type Answer = Result<OutcomeRow, Failure>;

/// A process's group committer (one per [`EventStore`](crate::EventStore), shared by its tenants'
/// handles).
#[derive(Debug)]
pub(crate) struct GroupCommit {
    batcher: Batcher<Queued, Answer>,
}

impl GroupCommit {
    pub(crate) fn new(pool: PgPool) -> Self {
        let batcher = Batcher::new(WRITERS, MAX_BATCH, move |batch| write(pool.clone(), batch).boxed());
        Self { batcher }
    }

    /// Appends one command's events with the next batch; answers once that batch committed.
    pub(crate) async fn append(&self, tenant: Uuid, command_id: Uuid, args: AppendArgs) -> Answer {
        let queued = Queued {
            tenant,
            command_id,
            args,
        };
        match self.batcher.call(queued).await {
            Some(answer) => answer,
            None => Err(Failure::Other(sqlx::Error::WorkerCrashed)),
        }
    }
}

/// Writes one command alone, in its own transaction.
async fn alone(pool: &PgPool, q: &Queued) -> Answer {
    append_alone(pool, q.tenant, q.command_id, &q.args).await
}

async fn write(pool: PgPool, mut batch: Vec<Pending<Queued, Answer>>) {
    if batch.len() == 1 {
        if let Some(p) = batch.pop() {
            let result = alone(&pool, &p.request).await;
            p.answer(result);
        }
        return;
    }
    match append_batch(&pool, &batch).await {
        Ok(rows) if rows.len() == batch.len() => {
            for (p, row) in batch.into_iter().zip(rows) {
                let result = match row {
                    BatchRow {
                        error: None,
                        duplicate: Some(duplicate),
                        streams: Some(streams),
                        versions: Some(versions),
                        positions: Some(positions),
                        recorded_at: Some(at),
                        ..
                    } => Ok((duplicate, streams, versions, positions, at)),
                    BatchRow {
                        error: Some(code),
                        detail,
                        constraint,
                        ..
                    } => match known_failure(&code, detail.as_deref().unwrap_or(""), constraint.as_deref()) {
                        Some(failure) => Err(failure),
                        // Not an error the append raises on purpose: alone, it comes back as
                        // the database error itself, for the caller to see. Nothing of it was
                        // kept (its subtransaction was rolled back).
                        None => alone(&pool, &p.request).await,
                    },
                    _ => alone(&pool, &p.request).await,
                };
                p.answer(result);
            }
        }
        _ => {
            for p in batch {
                let result = alone(&pool, &p.request).await;
                p.answer(result);
            }
        }
    }
}

#[derive(sqlx::FromRow)]
struct BatchRow {
    #[sqlx(rename = "o_error")]
    error: Option<String>,
    #[sqlx(rename = "o_detail")]
    detail: Option<String>,
    #[sqlx(rename = "o_constraint")]
    constraint: Option<String>,
    #[sqlx(rename = "o_duplicate")]
    duplicate: Option<bool>,
    #[sqlx(rename = "o_streams")]
    streams: Option<Vec<String>>,
    #[sqlx(rename = "o_versions")]
    versions: Option<Vec<i64>>,
    #[sqlx(rename = "o_positions")]
    positions: Option<Vec<i64>>,
    #[sqlx(rename = "o_recorded_at")]
    recorded_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The batch's arrays laid end to end, with each command's last stream and event.
async fn append_batch(pool: &PgPool, batch: &[Pending<Queued, Answer>]) -> Result<Vec<BatchRow>, sqlx::Error> {
    let (mut stream_end, mut event_end) = (Vec::with_capacity(batch.len()), Vec::with_capacity(batch.len()));
    let mut all = AppendArgs::default();
    for q in batch {
        let a = &q.request.args;
        all.streams.extend_from_slice(&a.streams);
        all.expected.extend_from_slice(&a.expected);
        all.stream_idx.extend_from_slice(&a.stream_idx);
        all.event_ids.extend_from_slice(&a.event_ids);
        all.types.extend_from_slice(&a.types);
        all.schemas.extend_from_slice(&a.schemas);
        all.payloads.extend_from_slice(&a.payloads);
        all.metadata.extend_from_slice(&a.metadata);
        all.digests.extend_from_slice(&a.digests);
        stream_end.push(i32::try_from(all.streams.len()).unwrap_or(i32::MAX));
        event_end.push(i32::try_from(all.event_ids.len()).unwrap_or(i32::MAX));
    }
    let tenants: Vec<Uuid> = batch.iter().map(|q| q.request.tenant).collect();
    let commands: Vec<Uuid> = batch.iter().map(|q| q.request.command_id).collect();
    let query = sqlx::query_as(
        "SELECT * FROM brigade_append_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::json[], $12::json[], $13)",
    )
    .bind(tenants)
    .bind(commands)
    .bind(stream_end)
    .bind(event_end);
    all.bind_to(query).fetch_all(pool).await
}
