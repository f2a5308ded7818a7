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
//!
//! The writers keep their connections between batches ([`Held`]) instead of taking one from the
//! pool for each: sqlx pings every connection it is given back (a round trip, and work for a
//! backend, after every append), which pgbench's single-row insert, the floor the store's
//! appends are measured against, never pays.

use crate::append::{AppendArgs, Failure, OutcomeRow, append_alone, known_failure};
use crate::batcher::{Batcher, Pending};
use crate::store::PING_AFTER_IDLE;
use futures_util::FutureExt;
use sqlx::pool::PoolConnection;
use sqlx::{Connection, PgPool, Postgres};
use std::sync::{Arc, Mutex};
use std::time::Instant;
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

/// The writers' connections between batches: taken from the pool once, and kept (never given
/// back, so never pinged on return). One that sat idle for [`PING_AFTER_IDLE`] is pinged before
/// use, as the pool would; one that failed is closed, and the next batch takes a fresh one.
#[derive(Debug)]
struct Held {
    pool: PgPool,
    idle: Mutex<Vec<(PoolConnection<Postgres>, Instant)>>,
    /// How many are kept while idle: at most a quarter of the pool (and one per writer), so
    /// reads keep the rest.
    keep: usize,
}

impl Held {
    async fn take(&self) -> Result<PoolConnection<Postgres>, sqlx::Error> {
        loop {
            let kept = self.idle.lock().map_or(None, |mut idle| idle.pop());
            let Some((mut connection, since)) = kept else {
                return self.pool.acquire().await;
            };
            if since.elapsed() < PING_AFTER_IDLE || connection.ping().await.is_ok() {
                return Ok(connection);
            }
            connection.close_on_drop();
        }
    }

    /// Keeps a connection for the next batch, unless its statement failed for a reason that may
    /// have left it unusable (it is then closed: the pool makes a new one when asked).
    fn give_back(&self, mut connection: PoolConnection<Postgres>, failed: bool) {
        if failed {
            connection.close_on_drop();
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < self.keep {
                idle.push((connection, Instant::now()));
            }
        }
    }
}

impl GroupCommit {
    pub(crate) fn new(pool: PgPool) -> Self {
        let keep = (pool.options().get_max_connections() as usize / 4).clamp(1, WRITERS);
        let held = Arc::new(Held {
            pool,
            idle: Mutex::new(Vec::with_capacity(keep)),
            keep,
        });
        let batcher = Batcher::new(WRITERS, MAX_BATCH, move |batch| write(held.clone(), batch).boxed());
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

/// Whether a statement's error leaves its connection in doubt: anything but the database
/// refusing the statement and answering. Such a connection is closed rather than kept.
fn connection_in_doubt(error: &sqlx::Error) -> bool {
    !matches!(error, sqlx::Error::Database(_))
}

/// Writes one command alone, in its own transaction.
async fn alone(held: &Held, q: &Queued) -> Answer {
    let mut connection = match held.take().await {
        Ok(connection) => connection,
        Err(error) => return Err(Failure::Other(error)),
    };
    let result = append_alone(&mut *connection, q.tenant, q.command_id, &q.args).await;
    let failed = matches!(&result, Err(Failure::Other(error)) if connection_in_doubt(error));
    held.give_back(connection, failed);
    result
}

async fn write(held: Arc<Held>, mut batch: Vec<Pending<Queued, Answer>>) {
    if batch.len() == 1 {
        if let Some(p) = batch.pop() {
            let result = alone(&held, &p.request).await;
            p.answer(result);
        }
        return;
    }
    let written = match held.take().await {
        Ok(mut connection) => {
            let written = append_batch(&mut connection, &batch).await;
            let failed = matches!(&written, Err(error) if connection_in_doubt(error));
            held.give_back(connection, failed);
            written
        }
        Err(error) => Err(error),
    };
    match written {
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
                        None => alone(&held, &p.request).await,
                    },
                    _ => alone(&held, &p.request).await,
                };
                p.answer(result);
            }
        }
        _ => {
            for p in batch {
                let result = alone(&held, &p.request).await;
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
async fn append_batch(
    connection: &mut sqlx::PgConnection,
    batch: &[Pending<Queued, Answer>],
) -> Result<Vec<BatchRow>, sqlx::Error> {
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
    all.bind_to(query).fetch_all(connection).await
}
