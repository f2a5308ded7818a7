//! `export` and `import` from the built binary: over 100,000 events go out as NDJSON and into an
//! empty database, which then verifies clean and exports byte for byte the same file (ids,
//! versions, positions, their order, times and hashes kept); an edited or partial archive, or a
//! store that is not empty, is refused and nothing is written; filters select what they say.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use brigade_domain::catalog::MenuCategory;
use brigade_domain::ids::{TenantId, UserId};
use brigade_eventstore::{CommandMeta, EventStore, ExpectedVersion, NewEvent, StreamAppend};
use serde_json::json;
use std::path::PathBuf;
use support::common::TestDb;
use support::common::empty_database;
use support::common::restaurant::Restaurant;
use support::replay;
use tempfile::TempDir;
use uuid::Uuid;

fn meta() -> CommandMeta {
    CommandMeta::direct(Uuid::now_v7(), Uuid::now_v7(), Some(UserId(Uuid::now_v7())))
}

fn counter_events(stream_id: &str, expected: ExpectedVersion, count: u64) -> StreamAppend {
    StreamAppend {
        stream_id: stream_id.into(),
        expected,
        events: (1..=count)
            .map(|n| NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "counter.incremented".into(),
                schema_version: 1,
                payload: json!({ "n": n, "note": "ünïcode \"quoted\" \\ back\nslash" }),
            })
            .collect(),
    }
}

/// `streams` streams of `per_stream` events for `tenant`, appended 100 at a time by 8 writers.
async fn bulk(store: &EventStore, tenant: TenantId, streams: usize, per_stream: u64) {
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..8 {
        let t = store.tenant(tenant);
        writers.spawn(async move {
            for s in (w..streams).step_by(8) {
                let stream = format!("counter-{}-{s}", tenant.0.simple());
                let mut version = 0;
                while version < per_stream {
                    let n = (per_stream - version).min(100);
                    t.append(&meta(), &[counter_events(&stream, ExpectedVersion::at(version), n)])
                        .await
                        .unwrap();
                    version += n;
                }
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap();
    }
}

/// A directory for one test's archives, removed when the test ends, whether it passed or not:
/// an archive is made again by running the test again.
fn scratch() -> TempDir {
    tempfile::Builder::new().prefix("brigade-archive-").tempdir().unwrap()
}

fn archive_in(dir: &TempDir, name: &str) -> PathBuf {
    dir.path().join(format!("{name}.ndjson"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_import_into_an_empty_database_keeps_everything_and_verifies() {
    let db = TestDb::create("export").await;
    let dir = scratch();
    let r = Restaurant::open(&db.store, Restaurant::morning()).await;
    let soup = r.dish("Soup", MenuCategory::Food, "7.50", "hot", &[]).await;
    for _ in 0..10 {
        r.sell(soup, 2).await;
    }
    let second = TenantId(Uuid::now_v7());
    bulk(&db.store, r.tenant, 600, 100).await;
    bulk(&db.store, second, 400, 100).await;
    // Two transactions that commit in the other order than they inserted: the log's order is
    // (transaction, position), so here the later position comes first.
    let t = db.store.tenant(second);
    let mut early = db.pool().begin().await.unwrap();
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut *early)
        .await
        .unwrap();
    t.append(&meta(), &[counter_events("counter-late", ExpectedVersion::NoStream, 1)])
        .await
        .unwrap();
    t.append_in(
        &mut early,
        &meta(),
        &[counter_events("counter-early", ExpectedVersion::NoStream, 1)],
    )
    .await
    .unwrap();
    early.commit().await.unwrap();
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(total >= 100_000, "{total}");

    let first = archive_in(&dir, "export");
    let run = replay(&db.url, &["export", "--output", first.to_str().unwrap(), "--json"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["events"], json!(total));

    let target = empty_database("import").await;
    let run = replay(&target, &["import", first.to_str().unwrap(), "--json"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let report = run.json();
    assert_eq!(report["events"], json!(total));
    assert!(report["transactions"].as_u64().unwrap() >= 2, "{report}");

    let run = replay(&target, &["verify", "--json"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["events_checked"], json!(total));
    assert_eq!(run.json()["faults"], json!([]));

    let again = archive_in(&dir, "reexport");
    let run = replay(&target, &["export", "--output", again.to_str().unwrap()]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let (a, b) = (std::fs::read(&first).unwrap(), std::fs::read(&again).unwrap());
    assert_eq!(a.len(), b.len());
    assert!(a == b, "the re-export differs from the export");

    // The moved store carries on: idempotency is kept (the command log was rebuilt), positions
    // continue after the imported ones, and the chains still verify.
    let moved = EventStore::connect(&target, 2).await.unwrap();
    let source_commands: i64 = sqlx::query_scalar("SELECT count(*) FROM commands")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let moved_commands: i64 = sqlx::query_scalar("SELECT count(*) FROM commands")
        .fetch_one(moved.pool())
        .await
        .unwrap();
    assert_eq!(moved_commands, source_commands);
    let (tenant, command_id): (Uuid, String) =
        sqlx::query_as("SELECT tenant_id, metadata->>'command_id' FROM events WHERE stream_id = 'counter-late'")
            .fetch_one(moved.pool())
            .await
            .unwrap();
    let repeat = CommandMeta::direct(Uuid::parse_str(&command_id).unwrap(), Uuid::now_v7(), None);
    let outcome = moved
        .tenant(TenantId(tenant))
        .append(&repeat, &[counter_events("counter-late", ExpectedVersion::Any, 1)])
        .await
        .unwrap();
    assert!(
        outcome.duplicate,
        "a command recorded before the move is still recognised"
    );
    let fresh = moved
        .tenant(TenantId(tenant))
        .append(&meta(), &[counter_events("counter-late", ExpectedVersion::Exact(1), 1)])
        .await
        .unwrap();
    let max_before: i64 = sqlx::query_scalar("SELECT max(position) FROM events")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(fresh.positions[0] > max_before);
    assert_eq!(replay(&target, &["verify"]).await.code, 0);
}

#[tokio::test]
async fn an_edited_or_partial_archive_or_a_non_empty_store_is_refused_and_nothing_is_written() {
    let db = TestDb::create("import_refusals").await;
    let dir = scratch();
    let r = Restaurant::open(&db.store, Restaurant::morning()).await;
    let soup = r.dish("Soup", MenuCategory::Food, "7.50", "hot", &[]).await;
    r.sell(soup, 2).await;
    let archive = archive_in(&dir, "small");
    assert_eq!(
        replay(&db.url, &["export", "-o", archive.to_str().unwrap()]).await.code,
        0
    );
    let lines: Vec<String> = std::fs::read_to_string(&archive)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let paid = lines
        .iter()
        .position(|l| l.contains("\"order.payment_captured\""))
        .unwrap();

    let edited = archive_in(&dir, "edited");
    let mut altered = lines.clone();
    altered[paid] = altered[paid].replace("\"card\"", "\"cash\"");
    assert_ne!(altered[paid], lines[paid]);
    std::fs::write(&edited, altered.join("\n") + "\n").unwrap();
    let partial = archive_in(&dir, "partial");
    let mut holed = lines.clone();
    holed.remove(paid - 1);
    std::fs::write(&partial, holed.join("\n") + "\n").unwrap();
    let garbage = archive_in(&dir, "garbage");
    std::fs::write(&garbage, format!("{}\nnot json\n", lines[0])).unwrap();

    let target = empty_database("refusals").await;
    replay(&target, &["import", edited.to_str().unwrap()])
        .await
        .assert_refused(&format!("line {}: event", paid + 1));
    replay(&target, &["import", partial.to_str().unwrap()])
        .await
        .assert_refused("where version");
    replay(&target, &["import", garbage.to_str().unwrap()])
        .await
        .assert_refused("line 2: ");
    let target_store = EventStore::connect(&target, 1).await.unwrap();
    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(target_store.pool())
        .await
        .unwrap();
    assert_eq!(written, 0, "a refused import writes nothing");
    // Into a store that already holds events.
    replay(&db.url, &["import", archive.to_str().unwrap()])
        .await
        .assert_refused("is not empty");
}

#[tokio::test]
async fn export_filters_take_a_tenant_a_category_or_a_time_range() {
    let db = TestDb::create("export_filters").await;
    let dir = scratch();
    let a = Restaurant::open(&db.store, Restaurant::morning()).await;
    let b = Restaurant::open(&db.store, Restaurant::morning()).await;
    let soup = a.dish("Soup", MenuCategory::Food, "7.50", "hot", &[]).await;
    a.sell(soup, 1).await;
    let between = chrono::Utc::now();
    let tea = b.dish("Tea", MenuCategory::Beverage, "3.00", "bar", &[]).await;
    b.sell(tea, 1).await;
    a.sell(soup, 1).await;

    let lines = |run: &support::Run| -> Vec<serde_json::Value> {
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let of_a = lines(&replay(&db.url, &["export", "--tenant", &a.tenant.0.to_string()]).await);
    let in_a: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE tenant_id = $1")
        .bind(a.tenant.0)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(of_a.len() as i64, in_a);
    assert!(of_a.iter().all(|e| e["tenant_id"] == json!(a.tenant.0)));
    let orders = lines(&replay(&db.url, &["export", "--category", "order"]).await);
    assert!(
        !orders.is_empty()
            && orders
                .iter()
                .all(|e| e["stream_id"].as_str().unwrap().starts_with("order-"))
    );
    let since = between.to_rfc3339();
    let later = lines(&replay(&db.url, &["export", "--from", &since]).await);
    assert!(!later.is_empty());
    assert!(
        later
            .iter()
            .all(|e| e["recorded_at"].as_str().unwrap() >= since.as_str())
    );

    // A tenant moves: its export alone goes into an empty store and verifies there.
    let archive = archive_in(&dir, "tenant");
    let out = replay(
        &db.url,
        &[
            "export",
            "--tenant",
            &b.tenant.0.to_string(),
            "-o",
            archive.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.code, 0, "{out:?}");
    let target = empty_database("tenant_move").await;
    assert_eq!(replay(&target, &["import", archive.to_str().unwrap()]).await.code, 0);
    let verified = replay(&target, &["verify", "--json"]).await;
    assert_eq!(verified.code, 0, "{verified:?}");
    let in_b: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE tenant_id = $1")
        .bind(b.tenant.0)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(verified.json()["events_checked"], json!(in_b));
}
