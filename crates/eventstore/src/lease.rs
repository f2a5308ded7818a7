//! Leadership by a PostgreSQL advisory lock, held by one session.
//!
//! The relay and each projection run in one active process at a time; others wait as hot
//! standbys. The lock belongs to a dedicated connection, and the holder writes its checkpoint
//! through that same connection: if the session dies (the process was killed, the network went),
//! PostgreSQL releases the lock and the holder's next write fails, so a former leader cannot go on
//! writing beside the new one.

use crate::error::StoreError;
use sqlx::postgres::PgConnection;
use sqlx::{Connection, PgPool};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A held advisory lock and the connection that holds it.
#[derive(Debug)]
pub struct Lease {
    name: String,
    connection: PgConnection,
}

impl Lease {
    /// Waits until the lock called `name` is ours (trying every `poll`), or returns `None` when
    /// `shutdown` is cancelled first.
    pub async fn acquire(
        pool: &PgPool,
        name: &str,
        poll: Duration,
        shutdown: &CancellationToken,
    ) -> Result<Option<Lease>, StoreError> {
        let mut connection = pool.acquire().await?.detach();
        let mut announced = false;
        loop {
            let won: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
                .bind(name)
                .fetch_one(&mut connection)
                .await?;
            if won {
                tracing::info!(lease = name, "lease acquired: this process is now active");
                return Ok(Some(Lease {
                    name: name.to_owned(),
                    connection,
                }));
            }
            if !announced {
                tracing::info!(lease = name, "another process holds the lease; standing by");
                announced = true;
            }
            tokio::select! {
                () = shutdown.cancelled() => return Ok(None),
                () = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// Takes the lock called `name` if it is free now; `None` if another session holds it.
    pub async fn try_acquire(pool: &PgPool, name: &str) -> Result<Option<Lease>, StoreError> {
        let mut connection = pool.acquire().await?.detach();
        let won: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
            .bind(name)
            .fetch_one(&mut connection)
            .await?;
        Ok(won.then(|| Lease {
            name: name.to_owned(),
            connection,
        }))
    }

    /// The connection holding the lock: write through it whatever only the leader may write.
    pub fn connection(&mut self) -> &mut PgConnection {
        &mut self.connection
    }

    /// The lock's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Gives the lock up (closing the session releases it).
    pub async fn release(self) {
        let _ = self.connection.close().await;
    }
}
