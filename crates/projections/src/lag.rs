//! How far behind each projection is: what the API's operations endpoint and `/metrics` report.

use crate::balance::WORKER_TTL;
use brigade_eventstore::{GlobalPosition, Partition, StoreError, head};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// One projection's position against the head of the log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProjectionLag {
    /// The checkpoint: the projection's name, with its partition (`stock.1of4`) when it runs in
    /// several.
    pub name: String,
    /// The projection.
    pub projection: String,
    /// Which partition of it this is (0 when it runs in one).
    pub partition: u16,
    /// How many partitions it runs in.
    pub partitions: u16,
    /// The worker process running this partition (host:pid), if one is.
    pub owner: Option<String>,
    /// Its checkpoint.
    pub checkpoint: GlobalPosition,
    /// The last event written.
    pub head: GlobalPosition,
    /// Events after the checkpoint (all types: what it still has to look at), at most
    /// [`LAG_COUNT_CAP`].
    pub lag_events: i64,
    /// Seconds since the oldest event after the checkpoint was recorded (0 when caught up).
    pub lag_seconds: f64,
    /// Events it has applied in all.
    pub applied_events: i64,
    /// `healthy`, or `unhealthy` while events are parked.
    pub state: &'static str,
    /// Parked events (including the ones held behind them).
    pub parked_events: i64,
    /// The last error, if unhealthy.
    pub last_error: Option<String>,
    /// When the checkpoint last moved.
    pub updated_at: DateTime<Utc>,
}

/// The most events [`lag`] counts behind a checkpoint.
pub const LAG_COUNT_CAP: i64 = 1_000_000;

type Row = (
    String,
    i64,
    i64,
    i64,
    Option<String>,
    DateTime<Utc>,
    i64,
    Option<String>,
);

/// The lag of every projection that has a checkpoint (also published as metrics). A rebuild's
/// shadow copy (`<name>@rebuild`) serves no reads and is not listed: its progress is the
/// rebuild's own (`brigade-replay rebuild` shows it).
pub async fn lag(pool: &PgPool) -> Result<Vec<ProjectionLag>, StoreError> {
    let (head, _) = head(pool).await?.unwrap_or((GlobalPosition::START, Utc::now()));
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.name, c.transaction_id, c.position, c.applied_events, c.last_error, c.updated_at, \
                (SELECT count(*) FROM projection_parked p WHERE p.name = c.name), \
                (SELECT o.worker_id FROM projection_owners o JOIN projection_workers w USING (worker_id) \
                  WHERE o.name = c.name AND w.seen_at > now() - make_interval(secs => $1)) \
           FROM projection_checkpoints c WHERE c.name NOT LIKE '%@rebuild' ORDER BY c.name",
    )
    .bind(WORKER_TTL.as_secs_f64())
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (name, transaction_id, position, applied_events, last_error, updated_at, parked_events, owner) in rows {
        let (projection, partition) = Partition::parse(&name);
        let projection = projection.to_owned();
        let checkpoint = GlobalPosition {
            transaction_id,
            position,
        };
        // Counting is capped (a projection a hundred million events behind must not make a
        // health check scan them all): the figure saturates at LAG_COUNT_CAP.
        let (lag_events, oldest): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
            "SELECT count(*), min(recorded_at) FROM (SELECT recorded_at FROM events \
              WHERE (transaction_id, position) > ($1::text::xid8, $2) \
              ORDER BY transaction_id, position LIMIT $3) behind",
        )
        .bind(transaction_id.to_string())
        .bind(position)
        .bind(LAG_COUNT_CAP)
        .fetch_one(pool)
        .await?;
        let lag_seconds = oldest.map_or(0.0, |at| (Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0);
        metrics::gauge!("brigade_projection_lag_events", "projection" => name.clone()).set(lag_events as f64);
        metrics::gauge!("brigade_projection_lag_seconds", "projection" => name.clone()).set(lag_seconds);
        out.push(ProjectionLag {
            name,
            projection,
            partition: partition.index(),
            partitions: partition.count(),
            owner,
            checkpoint,
            head,
            lag_events,
            lag_seconds,
            applied_events,
            state: if parked_events == 0 { "healthy" } else { "unhealthy" },
            parked_events,
            last_error,
            updated_at,
        });
    }
    Ok(out)
}

/// Asks the active worker of `name` to retry its parked events (it does so within its idle
/// interval): a partition by its checkpoint name, or a projection's every partition by the
/// projection's name. False if there is no such projection.
pub async fn request_retry(pool: &PgPool, name: &str) -> Result<bool, StoreError> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM projection_checkpoints WHERE name NOT LIKE '%@rebuild'")
            .fetch_all(pool)
            .await?;
    let chosen: Vec<&String> = names
        .iter()
        .filter(|n| n.as_str() == name || Partition::parse(n).0 == name)
        .collect();
    let done = sqlx::query("UPDATE projection_checkpoints SET retry_requested = true WHERE name = ANY($1)")
        .bind(chosen)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
