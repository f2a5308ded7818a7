//! Waking tailing readers after commits, without putting NOTIFY in the append's transaction.
//!
//! A NOTIFY inside a writing transaction takes a cluster-wide lock that is held through that
//! transaction's WAL flush, so every writer would commit one after the other. Instead, each
//! process sends `pg_notify` from one background task after its appends have committed, at most
//! once per [`SPACING`]: every commit in between folds into the next notification. Under load
//! that is a few hundred small statements a second whatever the write rate (without the spacing,
//! a busy process sent almost one per append); readers wake within a few milliseconds of a
//! commit, and poll as a fallback.

use crate::global_log::NOTIFY_CHANNEL;
use sqlx::PgPool;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::Notify;

/// The least time between two notifications from one process.
pub(crate) const SPACING: Duration = Duration::from_millis(2);

/// One process's notifier.
#[derive(Debug)]
pub(crate) struct Waker {
    pool: PgPool,
    pending: Arc<Notify>,
    started: OnceLock<()>,
}

impl Waker {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self {
            pool,
            pending: Arc::new(Notify::new()),
            started: OnceLock::new(),
        }
    }

    /// Asks for one notification soon. Never blocks; never fails the caller's append.
    pub(crate) fn wake(&self) {
        self.started.get_or_init(|| {
            let (pool, pending) = (self.pool.clone(), self.pending.clone());
            // The task ends when its pool is closed.
            tokio::spawn(async move {
                while !pool.is_closed() {
                    pending.notified().await;
                    let sent = sqlx::query("SELECT pg_notify($1, '')")
                        .bind(NOTIFY_CHANNEL)
                        .execute(&pool)
                        .await;
                    if let Err(error) = sent {
                        tracing::debug!(%error, "commit notification not sent; readers fall back to polling");
                    }
                    tokio::time::sleep(SPACING).await;
                }
            });
        });
        self.pending.notify_one();
    }
}
