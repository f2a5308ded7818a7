//! What the workspace's tests and benchmarks share: a database of a test's own, a NATS server
//! of its own, the fan-out running and waited for, read models compared with their rebuilds
//! (here); a restaurant driven through the domain (`restaurant`); plain events for the store's
//! tests (`events`); a projection that counts what it is given (`tally`); decimals from text
//! (`dec`); and the benchmarks' preamble, seeded logs and CPU accounting (`bench`).
//!
//! Test code: it unwraps, and a failure is a panic with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod bench;
pub mod events;
pub mod nats;
pub mod process;
pub mod restaurant;
pub mod tally;

/// A decimal from its text ("12.50"), for expected figures.
pub fn dec(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap_or_else(|e| panic!("{s:?} is not a decimal: {e}"))
}

/// A decimal the API answered: always a decimal string ("12.50"); a JSON number fails the test.
pub fn dec_of(v: &serde_json::Value) -> rust_decimal::Decimal {
    dec(v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}")))
}

use brigade_eventstore::{EventStore, GlobalPosition, head};
use brigade_projections::{Projection, build_shadow, compare};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A database created for one test (dropped by the next run's cleanup, not at the end, so that a
/// failing test leaves its data to look at).
pub struct TestDb {
    pub url: String,
    pub store: EventStore,
}

impl TestDb {
    /// A new database with the schema migrated.
    pub async fn create(label: &str) -> TestDb {
        let url = empty_database(label).await;
        let pool = PgPoolOptions::new().max_connections(24).connect(&url).await.unwrap();
        let store = EventStore::new(pool);
        store.migrate().await.unwrap();
        TestDb { url, store }
    }

    pub fn pool(&self) -> &PgPool {
        self.store.pool()
    }
}

/// A new database with nothing in it, not even the schema; returns its URL.
pub async fn empty_database(label: &str) -> String {
    let admin_url = std::env::var("DATABASE_URL").expect("DATABASE_URL (run through scripts/test.sh)");
    let name = format!("brigade_t_{label}_{}", &Uuid::now_v7().simple().to_string()[20..]);
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&admin_url)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// The last event written.
pub async fn head_of(pool: &PgPool) -> GlobalPosition {
    head(pool).await.unwrap().map(|(p, _)| p).unwrap_or_default()
}

/// A projection's checkpoint.
pub async fn checkpoint(pool: &PgPool, name: &str) -> GlobalPosition {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT transaction_id, position FROM projection_checkpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await
            .unwrap();
    row.map(|(transaction_id, position)| GlobalPosition {
        transaction_id,
        position,
    })
    .unwrap_or_default()
}

/// Waits until each named checkpoint (a projection's, or a partition's: `kitchen_queue.2of4`)
/// reaches the head of the log; panics after `within`.
pub async fn wait_caught_up(pool: &PgPool, names: &[impl AsRef<str>], within: Duration) {
    let head = head_of(pool).await;
    let deadline = Instant::now() + within;
    for name in names.iter().map(AsRef::as_ref) {
        loop {
            let at = checkpoint(pool, name).await;
            if at >= head {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not catch up within {within:?}: at {at:?}, head {head:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// [`wait_caught_up`], then checks each checkpoint is exactly at the head, not past it: for a log
/// no longer written to, whose every partition must have moved over every event.
pub async fn wait_at_head(pool: &PgPool, names: &[String], within: Duration) {
    wait_caught_up(pool, names, within).await;
    let head = head_of(pool).await;
    for name in names {
        assert_eq!(checkpoint(pool, name).await, head, "{name} is past the head");
    }
}

/// Every event reached every read model exactly once: nothing is parked (a double application
/// would have been), and every read model equals a from-scratch rebuild.
pub async fn assert_exactly_once(pool: &PgPool) {
    let parked: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_parked")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(parked, 0, "nothing parked (a double application would have been)");
    for projection in brigade_projections::models::all() {
        assert_equals_rebuild(pool, projection).await;
    }
}

/// Rebuilds `projection` from scratch into its shadow schema and asserts the live tables hold
/// exactly the same rows.
pub async fn assert_equals_rebuild(pool: &PgPool, projection: Arc<dyn Projection>) {
    let name = projection.name().to_owned();
    build_shadow(pool, projection.clone(), 5000).await.unwrap();
    let differences = compare(pool, projection.as_ref()).await.unwrap();
    assert!(
        differences.is_empty(),
        "{name} differs from its rebuild: {differences:?}"
    );
}

/// The relay and every read model's worker, in this process, against `nats`.
pub struct Fanout {
    pub shutdown: tokio_util::sync::CancellationToken,
    tasks: tokio::task::JoinSet<()>,
}

impl Fanout {
    pub async fn start(db: &TestDb, nats_url: &str) -> Fanout {
        let js = brigade_projections::runner::connect_nats(nats_url).await.unwrap();
        let shutdown = tokio_util::sync::CancellationToken::new();
        let mut tasks = tokio::task::JoinSet::new();
        let fanout = brigade_projections::runner::Fanout {
            relay: true,
            projections: brigade_projections::models::all()
                .iter()
                .map(|p| p.name().to_owned())
                .collect(),
            relay_config: Default::default(),
            worker_config: fast_workers(),
            partitions: 1,
        };
        fanout.spawn(&db.store, Some(js), &shutdown, &mut tasks).unwrap();
        Fanout { shutdown, tasks }
    }

    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Worker settings for tests: quick to notice a quiet consumer and to give up on a bad event, and
/// quick to call itself far behind (so the tests go through that path too).
pub fn fast_workers() -> brigade_projections::WorkerConfig {
    brigade_projections::WorkerConfig {
        idle: Duration::from_millis(300),
        far_behind: 100,
        retry_delays: vec![Duration::from_millis(10), Duration::from_millis(20)],
        standby_poll: Duration::from_millis(100),
        ..Default::default()
    }
}

/// Every read model's name.
pub fn read_models() -> Vec<&'static str> {
    vec!["kitchen_queue", "stock", "sales"]
}
