//! Building a projection from scratch into a shadow copy of its tables (`<schema>_rebuild`), and
//! comparing that copy with the live tables: the exactly-once check of the tests, and the
//! consistency check an operator can run at any time.

use crate::projection::Projection;
use crate::session::{Session, SessionError, Target};
use brigade_eventstore::{GlobalPosition, Lease};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The schema a rebuild of `projection` writes to.
pub fn shadow_schema(projection: &dyn Projection) -> String {
    format!("{}_rebuild", projection.schema())
}

/// What a shadow build did.
#[derive(Clone, Debug, PartialEq)]
pub struct ShadowBuild {
    /// Events applied.
    pub applied: usize,
    /// The position the shadow copy is at.
    pub checkpoint: GlobalPosition,
}

/// Creates empty shadow tables and applies the whole log to them (up to the end of the readable
/// log at the time).
pub async fn build_shadow(
    pool: &PgPool,
    projection: Arc<dyn Projection>,
    batch: u32,
) -> Result<ShadowBuild, SessionError> {
    let live = projection.schema().to_owned();
    let shadow = shadow_schema(projection.as_ref());
    let name = format!("{}@rebuild", projection.name());
    let mut tx = pool.begin().await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{shadow}\" CASCADE"))
        .execute(&mut *tx)
        .await?;
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
    sqlx::query("INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
        .bind(&name)
        .execute(&mut *tx)
        .await?;
    crate::checkpoint::reset(&mut tx, &name).await?;
    tx.commit().await?;

    let never = CancellationToken::new();
    let lease = Lease::acquire(
        pool,
        &format!("brigade:projection:{name}"),
        Duration::from_millis(200),
        &never,
    )
    .await?
    .ok_or(SessionError::Fenced)?;
    let target = Target {
        checkpoint: name,
        schema: shadow,
    };
    let mut session = Session::start(lease, projection, target, vec![Duration::from_millis(50)], batch).await?;
    let mut applied = 0;
    loop {
        let n = session.catch_up(None).await?;
        applied += n;
        if n == 0 {
            break;
        }
    }
    let checkpoint = session.cursor;
    session.lease.release().await;
    Ok(ShadowBuild { applied, checkpoint })
}

/// One table whose live and shadow contents differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDifference {
    /// The table.
    pub table: String,
    /// Rows only in the live table.
    pub only_live: i64,
    /// Rows only in the rebuilt one.
    pub only_rebuilt: i64,
}

/// Compares every table of the live model with its shadow copy, row for row.
pub async fn compare(pool: &PgPool, projection: &dyn Projection) -> Result<Vec<TableDifference>, sqlx::Error> {
    let live = projection.schema();
    let shadow = shadow_schema(projection);
    let mut out = Vec::new();
    for table in projection.tables() {
        let only = |a: &str, b: &str| {
            format!(
                "SELECT count(*) FROM (SELECT * FROM \"{a}\".\"{table}\" EXCEPT ALL SELECT * FROM \"{b}\".\"{table}\") d"
            )
        };
        let only_live: i64 = sqlx::query_scalar(&only(live, &shadow)).fetch_one(pool).await?;
        let only_rebuilt: i64 = sqlx::query_scalar(&only(&shadow, live)).fetch_one(pool).await?;
        if only_live != 0 || only_rebuilt != 0 {
            out.push(TableDifference {
                table: (*table).to_owned(),
                only_live,
                only_rebuilt,
            });
        }
    }
    Ok(out)
}
