//! Read-your-writes: waiting until the read models a request reads have applied a given event.
//!
//! A command answers with the global position of the last event it wrote; a query may pass it
//! back (`after=<position>`) and be answered only once the read models it reads include that
//! event, or told to retry. Workers announce every commit on [`APPLIED_CHANNEL`]; one listener
//! per process keeps the latest checkpoint of each projection in a `watch` channel that any number
//! of requests wait on. Notifications can be lost (a dropped connection), so a waiter also reads
//! the checkpoints table now and then rather than trust them alone.

use crate::checkpoint::APPLIED_CHANNEL;
use brigade_eventstore::{GlobalPosition, Partition};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// How often a waiter reads the checkpoints itself.
const RECHECK: Duration = Duration::from_millis(200);

/// Why a wait ended without the event applied.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// No event has that position.
    #[error("no event has position {0}")]
    UnknownPosition(i64),
    /// Time ran out; these read models have not applied it yet.
    #[error("not applied yet by {}", .behind.join(", "))]
    NotYet {
        /// The read models still behind.
        behind: Vec<String>,
    },
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The latest checkpoint of every projection, as the workers announce them.
#[derive(Clone)]
pub struct Applied {
    pool: PgPool,
    checkpoints: watch::Receiver<HashMap<String, GlobalPosition>>,
}

impl Applied {
    /// Loads the checkpoints and follows the workers' announcements until `shutdown`.
    pub async fn follow(pool: &PgPool, shutdown: CancellationToken) -> Result<Applied, sqlx::Error> {
        let (tx, rx) = watch::channel(load(pool).await?);
        let tx = Arc::new(tx);
        let pool_for_task = pool.clone();
        tokio::spawn(async move {
            while !shutdown.is_cancelled() {
                if let Err(error) = listen(&pool_for_task, &tx, &shutdown).await {
                    tracing::warn!(%error, "listening for applied checkpoints failed; again in 1 s");
                    tokio::select! {
                        () = shutdown.cancelled() => {}
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        });
        Ok(Applied {
            pool: pool.clone(),
            checkpoints: rx,
        })
    }

    /// A receiver that is notified whenever a worker announces a new checkpoint (what a live
    /// feed waits on between reads of its read model).
    pub fn subscribe(&self) -> watch::Receiver<HashMap<String, GlobalPosition>> {
        self.checkpoints.clone()
    }

    /// Waits until every projection in `names` has applied the event at `position`, at most
    /// `timeout`.
    pub async fn wait(&self, names: &[&str], position: i64, timeout: Duration) -> Result<(), WaitError> {
        let (target, tenant) = event_at(&self.pool, position)
            .await?
            .ok_or(WaitError::UnknownPosition(position))?;
        let deadline = tokio::time::Instant::now() + timeout;
        let mut checkpoints = self.checkpoints.clone();
        let mut recheck = false;
        // Once the listener is gone (shutdown), only the table is read.
        let mut listening = true;
        loop {
            let behind: Vec<String> = {
                let fresh;
                let current = if recheck {
                    fresh = load(&self.pool).await?;
                    &fresh
                } else {
                    &*checkpoints.borrow_and_update()
                };
                names
                    .iter()
                    .filter(|n| !applied_by(current, n, tenant, target))
                    .map(|n| (*n).to_owned())
                    .collect()
            };
            if behind.is_empty() {
                return Ok(());
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(WaitError::NotYet { behind });
            }
            let nap = RECHECK.min(deadline - now);
            recheck = tokio::select! {
                changed = checkpoints.changed(), if listening => {
                    listening = changed.is_ok();
                    !listening
                }
                () = tokio::time::sleep(nap) => true,
            };
        }
    }
}

/// Every checkpoint, from the table.
async fn load(pool: &PgPool) -> Result<HashMap<String, GlobalPosition>, sqlx::Error> {
    let rows: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT name, transaction_id, position FROM projection_checkpoints")
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(name, transaction_id, position)| {
            (
                name,
                GlobalPosition {
                    transaction_id,
                    position,
                },
            )
        })
        .collect())
}

/// Whether `projection` has applied the event at `target` of `tenant`: some checkpoint of its
/// covering the tenant's partition is at or past it. After a split, the old partition's last
/// announcement counts too (its children started from it).
fn applied_by(
    checkpoints: &HashMap<String, GlobalPosition>,
    projection: &str,
    tenant: Uuid,
    target: GlobalPosition,
) -> bool {
    checkpoints.iter().any(|(name, at)| {
        let (of, partition) = Partition::parse(name);
        of == projection && partition.contains(tenant) && *at >= target
    })
}

/// The place in the global log of the event at `position`, and its organization (whose
/// partition applies it).
async fn event_at(pool: &PgPool, position: i64) -> Result<Option<(GlobalPosition, Uuid)>, sqlx::Error> {
    let row: Option<(i64, Uuid)> =
        sqlx::query_as("SELECT transaction_id::text::bigint, tenant_id FROM events WHERE position = $1")
            .bind(position)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(transaction_id, tenant)| {
        (
            GlobalPosition {
                transaction_id,
                position,
            },
            tenant,
        )
    }))
}

/// Follows the announcements on one connection until it fails or `shutdown`.
async fn listen(
    pool: &PgPool,
    tx: &watch::Sender<HashMap<String, GlobalPosition>>,
    shutdown: &CancellationToken,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(APPLIED_CHANNEL).await?;
    // Whatever was announced before this connection listened.
    let current = load(pool).await?;
    tx.send_modify(|map| merge(map, current));
    loop {
        let notification = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            n = listener.try_recv() => n?,
        };
        let Some(notification) = notification else {
            // The connection was lost (and is re-established by the next call): reload.
            let current = load(pool).await?;
            tx.send_modify(|map| merge(map, current));
            continue;
        };
        let mut parts = notification.payload().split(' ');
        let (Some(name), Some(Ok(transaction_id)), Some(Ok(position))) = (
            parts.next(),
            parts.next().map(str::parse::<i64>),
            parts.next().map(str::parse::<i64>),
        ) else {
            continue;
        };
        let at = GlobalPosition {
            transaction_id,
            position,
        };
        tx.send_modify(|map| merge(map, HashMap::from([(name.to_owned(), at)])));
    }
}

/// Keeps the later of each checkpoint (an announcement can arrive after a reload that saw more).
/// Checkpoints only move forward (a rebuild's swap too sets a later one).
fn merge(map: &mut HashMap<String, GlobalPosition>, newer: HashMap<String, GlobalPosition>) {
    for (name, at) in newer {
        let entry = map.entry(name).or_insert(at);
        if at > *entry {
            *entry = at;
        }
    }
}
