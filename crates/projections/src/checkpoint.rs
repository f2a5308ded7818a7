//! A projection's checkpoint row: where it is in the global log, whether an operator asked for a
//! retry of its parked events, and its last error.

use brigade_eventstore::GlobalPosition;
use sqlx::PgConnection;

/// The channel a worker notifies after each commit (`<name> <transaction_id> <position>`): the API waits on it for
/// read-your-writes, and the live kitchen feed wakes on it.
pub const APPLIED_CHANNEL: &str = "brigade_projection_applied";

/// Makes sure the row exists and returns the checkpoint.
pub(crate) async fn load(connection: &mut PgConnection, name: &str) -> Result<GlobalPosition, sqlx::Error> {
    sqlx::query("INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .execute(&mut *connection)
        .await?;
    let (transaction_id, position): (i64, i64) =
        sqlx::query_as("SELECT transaction_id, position FROM projection_checkpoints WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *connection)
            .await?;
    Ok(GlobalPosition {
        transaction_id,
        position,
    })
}

/// Moves the checkpoint from `from` to `to` inside the caller's transaction, counting `applied`
/// events, and announces it on commit. Fails with `RowNotFound` if the row is not at `from`: some
/// other process moved it, and this batch must not commit.
pub(crate) async fn advance(
    connection: &mut PgConnection,
    name: &str,
    from: GlobalPosition,
    to: GlobalPosition,
    applied: usize,
) -> Result<(), sqlx::Error> {
    // One round trip: the announcement is made only if the row moved (and is sent at commit).
    let moved: Option<bool> = sqlx::query_scalar(
        "WITH moved AS ( \
            UPDATE projection_checkpoints \
               SET transaction_id = $4, position = $5, applied_events = applied_events + $6, updated_at = now() \
             WHERE name = $1 AND transaction_id = $2 AND position = $3 RETURNING 1) \
         SELECT pg_notify($7, $8)::text IS NOT NULL FROM moved",
    )
    .bind(name)
    .bind(from.transaction_id)
    .bind(from.position)
    .bind(to.transaction_id)
    .bind(to.position)
    .bind(i64::try_from(applied).unwrap_or(i64::MAX))
    .bind(APPLIED_CHANNEL)
    .bind(format!("{name} {} {}", to.transaction_id, to.position))
    .fetch_optional(&mut *connection)
    .await?;
    if moved.is_none() {
        return Err(sqlx::Error::RowNotFound);
    }
    Ok(())
}

/// Deletes a checkpoint row and the events parked under it, inside the caller's transaction: a
/// rebuild's shadow copy given up, a partition split in two.
pub(crate) async fn forget(connection: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM projection_parked WHERE name = $1")
        .bind(name)
        .execute(&mut *connection)
        .await?;
    sqlx::query("DELETE FROM projection_checkpoints WHERE name = $1")
        .bind(name)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Records the last error (or clears it).
pub(crate) async fn set_error(
    connection: &mut PgConnection,
    name: &str,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE projection_checkpoints SET last_error = $2 WHERE name = $1")
        .bind(name)
        .bind(error)
        .execute(connection)
        .await?;
    Ok(())
}
