//! How many partitions each projection runs in, and doubling them without a rebuild.
//!
//! The count is stored per projection (`projection_partitions`; no row is one partition). A worker
//! started with a larger count splits the projection before it runs any of it: it takes the lease
//! of every current partition (so no worker of the old count is writing), and in one transaction
//! gives each new partition its parent's checkpoint and the parked events of its own
//! organizations, deletes the parents' rows, and stores the new count. A worker of the old count
//! that takes a parent's lease afterwards finds the count changed and stops
//! ([`SessionError::Repartitioned`]), so old and new never write the same organizations.
//!
//! Lowering the count is refused, and not supported yet: two partitions' checkpoints cannot become
//! one without reapplying what lies between them, which would take a rebuild into the new
//! partitions (the rebuild's swap keeps the stored count).

use crate::session::SessionError;
use crate::worker::lease_name;
use brigade_eventstore::{Lease, Partition};
use sqlx::{Connection, PgConnection, PgPool};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Reads a partition count from the command line or the environment (`BRIGADE_PARTITIONS`).
pub fn parse_count(text: &str) -> Result<u16, String> {
    let n: u32 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of partitions"))?;
    Partition::check_count(n).map_err(|e| e.to_string())
}

/// The number of partitions `projection` runs in (1 if never partitioned).
pub async fn parts(connection: &mut PgConnection, projection: &str) -> Result<u16, sqlx::Error> {
    let stored: Option<i32> = sqlx::query_scalar("SELECT parts FROM projection_partitions WHERE projection = $1")
        .bind(projection)
        .fetch_optional(connection)
        .await?;
    Ok(stored.and_then(|n| u16::try_from(n).ok()).unwrap_or(1))
}

/// Refuses to run `partition` of `projection` if the installation has another count (checked by
/// a worker on the lease it just took, so a split cannot happen between the check and its work).
pub(crate) async fn check(
    connection: &mut PgConnection,
    projection: &str,
    partition: Partition,
) -> Result<(), SessionError> {
    let stored = parts(connection, projection).await?;
    if stored == partition.count() {
        return Ok(());
    }
    Err(SessionError::Repartitioned {
        projection: projection.to_owned(),
        stored,
        configured: partition.count(),
    })
}

/// Brings `projection` to `count` partitions: nothing if it has them, a split (doubling as many
/// times as it takes) if it has fewer, [`SessionError::Repartitioned`] if it has more. Waits for
/// the current partitions' leases (polling every `poll`); `Ok(false)` if `shutdown` came first.
pub async fn settle(
    pool: &PgPool,
    projection: &str,
    count: u16,
    poll: Duration,
    shutdown: &CancellationToken,
) -> Result<bool, SessionError> {
    let mut connection = pool.acquire().await?;
    let stored = parts(&mut connection, projection).await?;
    drop(connection);
    if stored > count {
        return Err(SessionError::Repartitioned {
            projection: projection.to_owned(),
            stored,
            configured: count,
        });
    }
    if stored == count {
        return Ok(true);
    }
    let mut leases = Vec::new();
    for parent in Partition::all(stored) {
        let name = lease_name(&parent.name(projection));
        match Lease::acquire(pool, &name, poll, shutdown).await? {
            Some(lease) => leases.push(lease),
            None => return Ok(false),
        }
    }
    let Some(first) = leases.first_mut() else {
        return Ok(true);
    };
    split(first.connection(), projection, count).await?;
    tracing::info!(projection, from = stored, to = count, "partitions split");
    for lease in leases {
        lease.release().await;
    }
    Ok(true)
}

/// The split itself, in one transaction (the caller holds every current partition's lease).
async fn split(connection: &mut PgConnection, projection: &str, count: u16) -> Result<(), SessionError> {
    let mut tx = connection.begin().await?;
    sqlx::query("INSERT INTO projection_partitions (projection, parts) VALUES ($1, 1) ON CONFLICT DO NOTHING")
        .bind(projection)
        .execute(&mut *tx)
        .await?;
    // Another worker of the new count may have split it while this one waited for the leases.
    let stored: i32 = sqlx::query_scalar("SELECT parts FROM projection_partitions WHERE projection = $1 FOR UPDATE")
        .bind(projection)
        .fetch_one(&mut *tx)
        .await?;
    let stored = u16::try_from(stored).unwrap_or(1);
    if stored >= count {
        return Ok(());
    }
    for child in Partition::all(count) {
        let mut parent = child;
        while parent.count() > stored {
            parent = parent.parent().unwrap_or(Partition::WHOLE);
        }
        let (child_name, parent_name) = (child.name(projection), parent.name(projection));
        // The parent may never have run (no row): the child then starts from the beginning too.
        sqlx::query(
            "INSERT INTO projection_checkpoints (name, transaction_id, position, last_error, updated_at) \
             SELECT $1, p.transaction_id, p.position, \
                    CASE WHEN EXISTS (SELECT 1 FROM projection_parked k WHERE k.name = p.name \
                                        AND brigade_partition(k.tenant_id, $3) = $4) THEN p.last_error END, \
                    now() \
               FROM projection_checkpoints p WHERE p.name = $2",
        )
        .bind(&child_name)
        .bind(&parent_name)
        .bind(i32::from(count))
        .bind(i32::from(child.index()))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO projection_parked (name, position, transaction_id, tenant_id, stream_id, event_type, error, parked_at) \
             SELECT $1, position, transaction_id, tenant_id, stream_id, event_type, error, parked_at \
               FROM projection_parked WHERE name = $2 AND brigade_partition(tenant_id, $3) = $4",
        )
        .bind(&child_name)
        .bind(&parent_name)
        .bind(i32::from(count))
        .bind(i32::from(child.index()))
        .execute(&mut *tx)
        .await?;
    }
    for parent in Partition::all(stored) {
        let name = parent.name(projection);
        crate::checkpoint::forget(&mut tx, &name).await?;
        sqlx::query("DELETE FROM projection_owners WHERE name = $1")
            .bind(&name)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE projection_partitions SET parts = $2 WHERE projection = $1")
        .bind(projection)
        .bind(i32::from(count))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
