//! `rebuild` from the built binary, beside the live fan-out (relay and workers over a real NATS
//! server): a rebuild of every read model under live load swaps in without losing or repeating an
//! event; a rebuild killed half-way (SIGKILL) or interrupted (Ctrl-C) resumes and finishes
//! correctly; a dry run reports every difference and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use brigade_domain::catalog::MenuCategory;
use brigade_domain::ids::{InventoryItemId, MenuItemId};
use brigade_projections::models;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::common::nats::NatsServer;
use support::common::restaurant::Restaurant;
use support::common::{Fanout, TestDb, assert_equals_rebuild, read_models, wait_caught_up};
use support::{replay, spawn};

/// A restaurant with a kitchen stocked with flour, and two dishes.
async fn restaurant(db: &TestDb) -> (Arc<Restaurant>, InventoryItemId, MenuItemId, MenuItemId) {
    let r = Arc::new(Restaurant::open(&db.store, Restaurant::morning()).await);
    let flour = r.item("Flour", "kg", "10").await;
    r.stock_kitchen(flour, "100000", "1.20").await;
    let bread = r
        .dish("Bread", MenuCategory::Food, "4.00", "pastry", &[(flour, "0.2")])
        .await;
    let lager = r.dish("Lager", MenuCategory::Beverage, "6.00", "bar", &[]).await;
    (r, flour, bread, lager)
}

/// Sells `orders` orders, four at a time.
async fn history(r: &Arc<Restaurant>, bread: MenuItemId, lager: MenuItemId, orders: usize) {
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..4 {
        let r = r.clone();
        writers.spawn(async move {
            for n in (w..orders).step_by(4) {
                let order = r.place_and_send(&[(bread, 2), (lager, 1)], None).await;
                if n % 5 != 0 {
                    r.finish(order).await;
                }
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap();
    }
}

/// Keeps selling until told to stop; returns how many orders it placed.
fn live_load(
    r: &Arc<Restaurant>,
    bread: MenuItemId,
    lager: MenuItemId,
    stop: &Arc<AtomicBool>,
) -> tokio::task::JoinHandle<u64> {
    let (r, stop) = (r.clone(), stop.clone());
    tokio::spawn(async move {
        let placed = AtomicU64::new(0);
        while !stop.load(Ordering::SeqCst) {
            let order = r.place_and_send(&[(bread, 1), (lager, 2)], None).await;
            r.finish(order).await;
            placed.fetch_add(1, Ordering::SeqCst);
        }
        placed.load(Ordering::SeqCst)
    })
}

async fn assert_every_model_equals_its_rebuild(db: &TestDb) {
    wait_caught_up(db.pool(), &read_models(), Duration::from_secs(60)).await;
    for projection in models::all() {
        assert_equals_rebuild(db.pool(), projection).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_under_live_load_swaps_in_without_losing_or_repeating_an_event() {
    let db = TestDb::create("rebuild_live").await;
    let nats = NatsServer::start().await;
    let fanout = Fanout::start(&db, &nats.url()).await;
    let (r, _flour, bread, lager) = restaurant(&db).await;
    history(&r, bread, lager, 400).await;
    wait_caught_up(db.pool(), &read_models(), Duration::from_secs(60)).await;

    let stop = Arc::new(AtomicBool::new(false));
    let load = live_load(&r, bread, lager, &stop);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let run = replay(&db.url, &["rebuild", "all", "--batch", "500", "--json"]).await;
    let took = started.elapsed();
    assert_eq!(run.code, 0, "{run:?}");
    // The live workers go on writing into the swapped-in tables.
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.store(true, Ordering::SeqCst);
    let placed = load.await.unwrap();
    assert!(placed > 0, "orders kept coming during the rebuild");

    let results = run.json();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 3);
    for result in results {
        assert!(result["applied"].as_u64().unwrap() > 0, "{result}");
        assert!(
            result["swapped"]["checkpoint"]["position"].as_i64().unwrap() > 0,
            "{result}"
        );
    }
    eprintln!(
        "rebuilt 3 read models in {took:?} while {placed} orders were placed; applied during the swaps: {:?}",
        results
            .iter()
            .map(|r| r["swapped"]["applied_during_swap"].clone())
            .collect::<Vec<Value>>()
    );
    // The shadow copies became the live models: none is left behind.
    let leftovers: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM projection_checkpoints WHERE name LIKE '%@rebuild') \
              + (SELECT count(*) FROM pg_namespace WHERE nspname LIKE '%\\_rebuild')",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(leftovers, 0);
    // Nothing lost, nothing twice: each live model equals a fresh rebuild.
    assert_every_model_equals_its_rebuild(&db).await;
    let dry = replay(&db.url, &["rebuild", "all", "--dry-run"]).await;
    assert_eq!(dry.code, 0, "{dry:?}");
    assert_eq!(dry.stdout.matches(": identical").count(), 3, "{dry:?}");
    fanout.stop().await;
}

/// Waits until the rebuild of `name` (run by `child`) has applied at least `at_least` events; a
/// child that ended before that fails the test with what it printed.
async fn wait_for_progress(db: &TestDb, name: &str, at_least: i64, child: &mut std::process::Child) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let (mut stdout, mut stderr) = (String::new(), String::new());
            if let Some(mut pipe) = child.stdout.take() {
                std::io::Read::read_to_string(&mut pipe, &mut stdout).unwrap();
            }
            if let Some(mut pipe) = child.stderr.take() {
                std::io::Read::read_to_string(&mut pipe, &mut stderr).unwrap();
            }
            panic!("the rebuild of {name} ended ({status}) before applying {at_least} events: {stdout} {stderr}");
        }
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT applied_events FROM projection_checkpoints WHERE name = $1")
                .bind(format!("{name}@rebuild"))
                .fetch_optional(db.pool())
                .await
                .unwrap();
        if let Some(applied) = applied.filter(|a| *a >= at_least) {
            return applied;
        }
        assert!(Instant::now() < deadline, "the rebuild of {name} made no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_killed_or_interrupted_half_way_resumes_and_finishes_correctly() {
    let db = TestDb::create("rebuild_resume").await;
    let nats = NatsServer::start().await;
    let fanout = Fanout::start(&db, &nats.url()).await;
    let (r, _flour, bread, lager) = restaurant(&db).await;
    history(&r, bread, lager, 300).await;
    let total_stock_events: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE stream_id LIKE 'stock-%'")
        .fetch_one(db.pool())
        .await
        .unwrap();

    // The log's readable head must hold the history first: it waits for every older transaction
    // of the cluster, and a test in another database (an archive's import) may hold one open; a
    // rebuild started before that would find nothing to apply.
    wait_caught_up(db.pool(), &read_models(), Duration::from_secs(120)).await;
    // SIGKILL mid-way through the stock read model. One event a batch: a transaction each, so the
    // rebuild is still running when the test (sharing two cores with other tests) looks.
    let mut child = spawn(&db.url, &["rebuild", "stock", "--batch", "1", "--json"]);
    let before_kill = wait_for_progress(&db, "stock", 100, &mut child).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let left: i64 =
        sqlx::query_scalar("SELECT applied_events FROM projection_checkpoints WHERE name = 'stock@rebuild'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert!(
        left >= before_kill && left < total_stock_events,
        "killed half-way: {left} of {total_stock_events}"
    );

    // The half-built shadow serves no reads: lag and health list only the live models.
    let listed: Vec<String> = brigade_projections::lag(db.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert!(
        listed.contains(&"stock".to_owned()) && !listed.iter().any(|n| n.ends_with("@rebuild")),
        "{listed:?}"
    );

    // Run again at once (the killed process's session may not be gone yet): it resumes.
    let resumed = replay(&db.url, &["rebuild", "stock", "--json"]).await;
    assert_eq!(resumed.code, 0, "{resumed:?}");
    let result = &resumed.json()[0];
    assert_eq!(result["resumed_after"], json!(left), "{result}");
    assert!(result["swapped"].is_object(), "{result}");

    // Ctrl-C mid-way through the sales read model: exit 130, then resume.
    let mut child = spawn(&db.url, &["rebuild", "sales", "--batch", "1", "--json"]);
    wait_for_progress(&db, "sales", 50, &mut child).await;
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    let interrupted: Value = serde_json::from_slice(&output.stdout).unwrap();
    let stopped_at = interrupted[0]["interrupted_at"]["position"].as_i64().unwrap();
    assert!(stopped_at > 0, "{interrupted}");
    let resumed = replay(&db.url, &["rebuild", "sales"]).await;
    assert_eq!(resumed.code, 0, "{resumed:?}");
    assert!(resumed.stdout.contains("resumed after"), "{resumed:?}");

    history(&r, bread, lager, 20).await;
    assert_every_model_equals_its_rebuild(&db).await;
    fanout.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_reports_every_difference_and_changes_nothing() {
    let db = TestDb::create("rebuild_dry").await;
    let nats = NatsServer::start().await;
    let fanout = Fanout::start(&db, &nats.url()).await;
    let (r, flour, bread, lager) = restaurant(&db).await;
    history(&r, bread, lager, 40).await;
    wait_caught_up(db.pool(), &read_models(), Duration::from_secs(60)).await;
    let clean = replay(&db.url, &["rebuild", "all", "--dry-run", "--json"]).await;
    assert_eq!(clean.code, 0, "{clean:?}");

    // Someone edits the live read models behind the projections' back.
    sqlx::query("UPDATE stock.levels SET quantity = quantity + 1 WHERE item_id = $1 AND department = 'kitchen'")
        .bind(flour.0)
        .execute(db.pool())
        .await
        .unwrap();
    let victim: uuid::Uuid = sqlx::query_scalar("SELECT order_id FROM kitchen_queue.tickets LIMIT 1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM kitchen_queue.tickets WHERE order_id = $1")
        .bind(victim)
        .execute(db.pool())
        .await
        .unwrap();

    let run = replay(&db.url, &["rebuild", "all", "--dry-run", "--json"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    let results = run.json();
    let differences = |model: &str| -> Vec<Value> {
        results
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["projection"] == model)
            .unwrap()["comparison"]["differences"]
            .as_array()
            .unwrap()
            .clone()
    };
    let stock = differences("stock");
    assert_eq!(stock.len(), 1, "{stock:?}");
    assert_eq!(stock[0]["table"], json!("levels"));
    assert_eq!(
        (stock[0]["only_live"].clone(), stock[0]["only_rebuilt"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(stock[0]["live_rows"][0]["item_id"], json!(flour.0));
    let kitchen = differences("kitchen_queue");
    assert_eq!(kitchen.len(), 1, "{kitchen:?}");
    assert_eq!(kitchen[0]["table"], json!("tickets"));
    assert_eq!(
        (kitchen[0]["only_live"].clone(), kitchen[0]["only_rebuilt"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(kitchen[0]["rebuilt_rows"][0]["order_id"], json!(victim));
    assert!(differences("sales").is_empty());
    let text = replay(&db.url, &["rebuild", "stock", "--dry-run"]).await;
    assert!(
        text.stdout
            .contains("levels: 1 rows only in the live model, 1 only in the rebuild"),
        "{text:?}"
    );

    // Nothing changed: the edits are still there, and no shadow copy is left behind.
    let still_missing: i64 = sqlx::query_scalar("SELECT count(*) FROM kitchen_queue.tickets WHERE order_id = $1")
        .bind(victim)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(still_missing, 0);
    let shadows: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE '%\\_rebuild'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(shadows, 0);

    // One rebuild of a read model at a time. (The last run's session may take a moment to end.)
    let deadline = Instant::now() + Duration::from_secs(5);
    let held = loop {
        let lease = brigade_eventstore::Lease::try_acquire(db.pool(), "brigade:projection:stock@rebuild")
            .await
            .unwrap();
        match lease {
            Some(lease) => break lease,
            None if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(20)).await,
            None => panic!("the last rebuild's lease was never released"),
        }
    };
    replay(&db.url, &["rebuild", "stock"])
        .await
        .assert_refused("a rebuild of stock is already running in another process");
    held.release().await;

    // An open ticket goes missing too, while a server holds the expo's tickets (the API's
    // kitchen screens keep them until the queue moves).
    let open: uuid::Uuid =
        sqlx::query_scalar("DELETE FROM kitchen_queue.tickets WHERE order_id = (SELECT order_id FROM kitchen_queue.tickets WHERE status = 'queued' LIMIT 1) RETURNING order_id")
            .fetch_one(db.pool())
            .await
            .unwrap();
    let screens = brigade_projections::reports::kitchen_cache::KitchenScreens::default();
    let expo = |screen: &brigade_projections::reports::kitchen::KitchenScreen| {
        screen.tickets.iter().any(|t| t.order_id == open)
    };
    let held = screens.screen(db.pool(), r.tenant.0, None, r.now()).await.unwrap();
    assert!(!expo(&held.screen));

    // A real rebuild repairs them. No event came meanwhile, so the queue's count of events did
    // not move: the swapped-in tables themselves tell the server to read the tickets again.
    assert_eq!(replay(&db.url, &["rebuild", "all"]).await.code, 0);
    let after = replay(&db.url, &["rebuild", "all", "--dry-run"]).await;
    assert_eq!(after.code, 0, "{after:?}");
    let kept = screens.screen(db.pool(), r.tenant.0, None, r.now()).await.unwrap();
    assert!(
        expo(&kept.screen),
        "the server still shows the tickets from before the rebuild"
    );
    fanout.stop().await;
}
