//! A read model rebuilt from scratch into a shadow copy of its tables (`<schema>_rebuild`), beside
//! the live one, with its own checkpoint (`<name>@rebuild`): what a rebuild fills before it swaps
//! it in, what a dry run compares with the live model, and what the tests' exactly-once checks
//! compare with.
//!
//! A shadow build is resumable: its rows and its checkpoint commit together, batch by batch, like
//! a live worker's, so a build that was interrupted (Ctrl-C, a kill, a lost connection) goes on
//! from its checkpoint when it is opened again, as long as its tables still have the live tables'
//! columns. One build per projection at a time: it holds the lease `<name>@rebuild`.

use crate::projection::Projection;
use crate::session::{Session, SessionError, Target};
use crate::worker::lease_name;
use brigade_eventstore::{GlobalPosition, Lease, Partition, StoreError, readable_head};
use serde::Serialize;
use sqlx::{Connection, PgConnection, PgPool};
use std::sync::Arc;
use std::time::Duration;

/// The schema a rebuild of `projection` writes to.
pub fn shadow_schema(projection: &dyn Projection) -> String {
    format!("{}_rebuild", projection.schema())
}

/// The checkpoint row (and lease name suffix) of a rebuild of `projection`.
pub fn shadow_checkpoint(projection: &dyn Projection) -> String {
    format!("{}@rebuild", projection.name())
}

/// Why a rebuild could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// Another rebuild (or dry run) of the same read model holds its lease.
    #[error("a rebuild of {0} is already running in another process")]
    AlreadyRunning(String),
    /// The swap kept meeting live traffic it could not get past.
    #[error("could not swap {projection} in after {attempts} attempts: {last}")]
    SwapGaveUp {
        /// The read model.
        projection: String,
        /// Attempts made.
        attempts: u32,
        /// The last reason.
        last: String,
    },
    /// Applying events failed in a way retries did not cure.
    #[error(transparent)]
    Session(#[from] SessionError),
}

impl From<sqlx::Error> for RebuildError {
    fn from(e: sqlx::Error) -> Self {
        RebuildError::Session(SessionError::Database(e))
    }
}

impl From<StoreError> for RebuildError {
    fn from(e: StoreError) -> Self {
        RebuildError::Session(SessionError::Store(e))
    }
}

/// A shadow copy being built, holding the rebuild lease of its projection.
pub struct ShadowRun {
    pub(crate) session: Session,
    /// Events applied by earlier runs when this one resumed them (`None`: started afresh).
    pub resumed_after: Option<u64>,
}

impl ShadowRun {
    /// Resumes the projection's unfinished shadow build, or starts one (`fresh`: always start
    /// over). Fails with [`RebuildError::AlreadyRunning`] when another process is building it.
    pub async fn open(
        pool: &PgPool,
        projection: Arc<dyn Projection>,
        batch: u32,
        fresh: bool,
    ) -> Result<ShadowRun, RebuildError> {
        let name = shadow_checkpoint(projection.as_ref());
        let mut lease = take_lease(pool, &name, projection.name()).await?;
        let resumable = if fresh {
            None
        } else {
            resumable(lease.connection(), projection.as_ref()).await?
        };
        if resumable.is_none() {
            create(lease.connection(), projection.as_ref()).await?;
        }
        let target = Target {
            checkpoint: name,
            schema: shadow_schema(projection.as_ref()),
            partition: Partition::WHOLE,
        };
        let session = Session::start(lease, projection, target, vec![Duration::from_millis(50)], batch).await?;
        Ok(ShadowRun {
            session,
            resumed_after: resumable,
        })
    }

    /// The read model being rebuilt.
    pub fn projection(&self) -> &Arc<dyn Projection> {
        &self.session.projection
    }

    /// Where the shadow copy is in the log.
    pub fn checkpoint(&self) -> GlobalPosition {
        self.session.cursor
    }

    /// Events of the projection's types between the shadow's checkpoint and the end of the
    /// readable log: what is left to apply (for a progress bar; the log grows meanwhile).
    pub async fn remaining(&mut self) -> Result<u64, RebuildError> {
        let after = self.session.cursor;
        let types = self.session.projection.event_types().to_vec();
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE (transaction_id, position) > ($1::text::xid8, $2) \
               AND transaction_id < pg_snapshot_xmin(pg_current_snapshot()) AND event_type = ANY($3)",
        )
        .bind(after.transaction_id.to_string())
        .bind(after.position)
        .bind(types)
        .fetch_one(self.session.lease.connection())
        .await?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// Applies the next batch towards the end of the readable log. Returns the events applied;
    /// 0 once the shadow copy has reached the end.
    pub async fn step(&mut self) -> Result<usize, RebuildError> {
        let Some(head) = readable_head(self.session.lease.connection()).await? else {
            return Ok(0);
        };
        let (applied, _) = self.session.catch_up_page(head).await?;
        Ok(applied)
    }

    /// Applies everything up to the end of the readable log. Returns the events applied.
    pub async fn catch_up(&mut self) -> Result<usize, RebuildError> {
        let mut applied = 0;
        loop {
            let n = self.session.catch_up(None).await?;
            applied += n;
            if n == 0 {
                return Ok(applied);
            }
        }
    }

    /// Drops the shadow copy and its checkpoint (after a dry run, or to give up a rebuild).
    pub async fn discard(mut self) -> Result<(), RebuildError> {
        let projection = self.session.projection.clone();
        let connection = self.session.lease.connection();
        let mut tx = connection.begin().await?;
        drop_shadow(&mut tx, projection.as_ref()).await?;
        tx.commit().await?;
        self.session.lease.release().await;
        Ok(())
    }

    /// Gives up the lease and leaves the shadow copy to be resumed.
    pub async fn close(self) {
        self.session.lease.release().await;
    }
}

/// How long a rebuild waits for its lease: a build that was just killed keeps it until
/// PostgreSQL notices its connection is gone (usually at once, at worst when its statement ends).
const LEASE_WAIT: Duration = Duration::from_secs(5);

async fn take_lease(pool: &PgPool, name: &str, projection: &str) -> Result<Lease, RebuildError> {
    let deadline = tokio::time::Instant::now() + LEASE_WAIT;
    loop {
        if let Some(lease) = Lease::try_acquire(pool, &lease_name(name)).await? {
            return Ok(lease);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(RebuildError::AlreadyRunning(projection.to_owned()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// If an unfinished build can be resumed, the events it has applied.
async fn resumable(connection: &mut PgConnection, projection: &dyn Projection) -> Result<Option<u64>, sqlx::Error> {
    let applied: Option<i64> = sqlx::query_scalar("SELECT applied_events FROM projection_checkpoints WHERE name = $1")
        .bind(shadow_checkpoint(projection))
        .fetch_optional(&mut *connection)
        .await?;
    let Some(applied) = applied else { return Ok(None) };
    // Same tables, same columns, same types: a migration since would make the copy unusable.
    let drift: i64 = sqlx::query_scalar(
        "WITH cols AS (SELECT table_schema AS s, table_name AS t, column_name AS c, data_type AS d, ordinal_position AS o \
                         FROM information_schema.columns WHERE table_schema IN ($1, $2) AND table_name = ANY($3)) \
         SELECT count(*) FROM ((SELECT t, c, d, o FROM cols WHERE s = $1 EXCEPT SELECT t, c, d, o FROM cols WHERE s = $2) \
                         UNION ALL (SELECT t, c, d, o FROM cols WHERE s = $2 EXCEPT SELECT t, c, d, o FROM cols WHERE s = $1)) x",
    )
    .bind(projection.schema())
    .bind(shadow_schema(projection))
    .bind(projection.tables())
    .fetch_one(&mut *connection)
    .await?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2)",
    )
    .bind(shadow_schema(projection))
    .bind(projection.tables())
    .fetch_one(&mut *connection)
    .await?;
    let complete = drift == 0 && usize::try_from(tables).ok() == Some(projection.tables().len());
    Ok(complete.then(|| u64::try_from(applied).unwrap_or_default()))
}

/// Empty shadow tables shaped like the live ones, and a checkpoint at the start of the log.
async fn create(connection: &mut PgConnection, projection: &dyn Projection) -> Result<(), sqlx::Error> {
    let live = projection.schema();
    let shadow = shadow_schema(projection);
    let mut tx = connection.begin().await?;
    drop_shadow(&mut tx, projection).await?;
    sqlx::query(&format!("CREATE SCHEMA \"{shadow}\""))
        .execute(&mut *tx)
        .await?;
    for table in projection.tables() {
        sqlx::query(&format!(
            "CREATE TABLE \"{shadow}\".\"{table}\" (LIKE \"{live}\".\"{table}\" INCLUDING ALL)"
        ))
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("INSERT INTO projection_checkpoints (name) VALUES ($1)")
        .bind(shadow_checkpoint(projection))
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

async fn drop_shadow(tx: &mut PgConnection, projection: &dyn Projection) -> Result<(), sqlx::Error> {
    let shadow = shadow_schema(projection);
    let name = shadow_checkpoint(projection);
    sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{shadow}\" CASCADE"))
        .execute(&mut *tx)
        .await?;
    crate::checkpoint::forget(tx, &name).await
}

/// What a shadow build did.
#[derive(Clone, Debug, PartialEq)]
pub struct ShadowBuild {
    /// Events applied.
    pub applied: usize,
    /// The position the shadow copy is at.
    pub checkpoint: GlobalPosition,
}

/// Builds the shadow copy from scratch up to the end of the readable log, and leaves it there to
/// compare (the tests' exactly-once check).
pub async fn build_shadow(
    pool: &PgPool,
    projection: Arc<dyn Projection>,
    batch: u32,
) -> Result<ShadowBuild, RebuildError> {
    let mut run = ShadowRun::open(pool, projection, batch, true).await?;
    let applied = run.catch_up().await?;
    let checkpoint = run.checkpoint();
    run.close().await;
    Ok(ShadowBuild { applied, checkpoint })
}

/// One table whose live and shadow contents differ.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableDifference {
    /// The table.
    pub table: String,
    /// Rows only in the live table.
    pub only_live: i64,
    /// Rows only in the rebuilt one.
    pub only_rebuilt: i64,
    /// Some of the rows only in the live table (as JSON objects).
    pub live_rows: Vec<serde_json::Value>,
    /// Some of the rows only in the rebuilt table.
    pub rebuilt_rows: Vec<serde_json::Value>,
}

/// How many differing rows of each side a comparison shows.
const SHOWN_ROWS: i64 = 20;

/// Compares every table of the live model with its shadow copy, row for row.
pub async fn compare(pool: &PgPool, projection: &dyn Projection) -> Result<Vec<TableDifference>, sqlx::Error> {
    let mut connection = pool.acquire().await?;
    compare_on(&mut connection, projection, Partition::WHOLE).await
}

/// [`compare`], on a given connection (inside the caller's transaction).
/// Only the rows of `only`'s organizations are compared.
pub(crate) async fn compare_on(
    connection: &mut PgConnection,
    projection: &dyn Projection,
    only: Partition,
) -> Result<Vec<TableDifference>, sqlx::Error> {
    // Numbers of ours, not input: every read model's table has a tenant_id.
    let filter = match only.count() {
        1 => String::new(),
        n => format!(" WHERE brigade_partition(tenant_id, {n}) = {}", only.index()),
    };
    let live = projection.schema();
    let shadow = shadow_schema(projection);
    let mut out = Vec::new();
    for table in projection.tables() {
        let except = |a: &str, b: &str| {
            format!("SELECT * FROM \"{a}\".\"{table}\"{filter} EXCEPT ALL SELECT * FROM \"{b}\".\"{table}\"{filter}")
        };
        let count = |a: &str, b: &str| format!("SELECT count(*) FROM ({}) d", except(a, b));
        let rows = |a: &str, b: &str| format!("SELECT to_jsonb(d) FROM ({}) d LIMIT {SHOWN_ROWS}", except(a, b));
        let only_live: i64 = sqlx::query_scalar(&count(live, &shadow))
            .fetch_one(&mut *connection)
            .await?;
        let only_rebuilt: i64 = sqlx::query_scalar(&count(&shadow, live))
            .fetch_one(&mut *connection)
            .await?;
        if only_live == 0 && only_rebuilt == 0 {
            continue;
        }
        let live_rows = sqlx::query_scalar(&rows(live, &shadow))
            .fetch_all(&mut *connection)
            .await?;
        let rebuilt_rows = sqlx::query_scalar(&rows(&shadow, live))
            .fetch_all(&mut *connection)
            .await?;
        out.push(TableDifference {
            table: (*table).to_owned(),
            only_live,
            only_rebuilt,
            live_rows,
            rebuilt_rows,
        });
    }
    Ok(out)
}
