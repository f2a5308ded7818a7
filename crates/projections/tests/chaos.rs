//! Exactly once under faults. While at least 20,000 events flow from a restaurant's service, the
//! relay and the projection workers (separate processes, two of each: one active, one hot
//! standby) are SIGKILLed at random moments and restarted, and the NATS server is killed and
//! restarted once. At the end every read model equals a from-scratch rebuild, every checkpoint
//! equals the head, and the processes stop cleanly on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use brigade_testkit as common;

use brigade_domain::catalog::MenuCategory;
use brigade_domain::order::{Order, OrderCommand};
use common::nats::NatsServer;
use common::process::{Proc, Rng};
use common::restaurant::Restaurant;
use common::{TestDb, head_of, read_models, wait_caught_up};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn worker_bin() -> &'static str {
    env!("CARGO_BIN_EXE_brigade-worker")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_reaches_every_read_model_exactly_once_through_kills_and_a_nats_restart() {
    let db = TestDb::create("chaos").await;
    let mut nats = NatsServer::start().await;
    let nats_url = nats.url();
    let logs = std::env::temp_dir().join(format!("brigade-chaos-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&logs).unwrap();
    let mut procs: Vec<Proc> = [vec!["relay"], vec!["relay"], vec!["project"], vec!["project"]]
        .into_iter()
        .enumerate()
        .map(|(i, args)| Proc::new(worker_bin(), args, logs.join(format!("proc-{i}.log"))))
        .collect();
    for p in &mut procs {
        p.start(&db.url, &nats_url);
    }

    let r = Arc::new(Restaurant::open(&db.store, Restaurant::morning()).await);
    let flour = r.item("Flour", "kg", "10").await;
    r.stock_kitchen(flour, "500", "1.20").await;
    let bread = r
        .dish("Bread", MenuCategory::Food, "4.00", "pastry", &[(flour, "0.2")])
        .await;
    let steak = r.dish("Steak", MenuCategory::Food, "28.00", "grill", &[]).await;
    let lager = r.dish("Lager", MenuCategory::Beverage, "6.00", "bar", &[]).await;

    const TARGET: i64 = 20_000;
    let orders = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..4_u64 {
        let (r, orders, done, db_pool) = (r.clone(), orders.clone(), done.clone(), db.pool().clone());
        writers.spawn(async move {
            let mut n = 0_u64;
            while !done.load(Ordering::SeqCst) {
                n += 1;
                let order = r.place_and_send(&[(bread, 2), (steak, 1), (lager, 2)], None).await;
                if (n + w) % 7 == 0 {
                    r.run::<Order>(order, OrderCommand::SetPriority { rush: true }).await;
                }
                if (n + w) % 11 == 0 {
                    r.run::<Order>(
                        order,
                        OrderCommand::Cancel {
                            reason: Some("left".into()),
                        },
                    )
                    .await;
                } else {
                    r.finish(order).await;
                }
                orders.fetch_add(1, Ordering::SeqCst);
                if n % 25 == 0 && head_of(&db_pool).await.position >= TARGET {
                    done.store(true, Ordering::SeqCst);
                }
            }
        });
    }

    let mut rng = Rng::from_clock();
    println!("chaos seed {}", rng.0);
    let (mut kills, mut nats_restarted) = (vec![0_u32; procs.len()], false);
    let started = Instant::now();
    while !done.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(300 + rng.next(1200))).await;
        let victim = rng.next(procs.len() as u64) as usize;
        procs[victim].kill();
        kills[victim] += 1;
        tokio::time::sleep(Duration::from_millis(rng.next(400))).await;
        procs[victim].start(&db.url, &nats_url);
        if !nats_restarted && head_of(db.pool()).await.position > TARGET / 2 {
            nats.kill();
            tokio::time::sleep(Duration::from_millis(500 + rng.next(1000))).await;
            nats.resume().await;
            nats_restarted = true;
        }
    }
    while let Some(result) = writers.join_next().await {
        result.unwrap();
    }
    let written = head_of(db.pool()).await;
    println!(
        "{} orders, {} events in {:?}; kills per process {kills:?}; NATS restarted: {nats_restarted}",
        orders.load(Ordering::SeqCst),
        written.position,
        started.elapsed()
    );
    assert!(written.position >= TARGET);
    assert!(nats_restarted, "the writers finished before NATS could be restarted");
    assert!(
        kills.iter().sum::<u32>() >= 4,
        "too few kills to mean anything: {kills:?}"
    );

    wait_caught_up(db.pool(), &read_models(), Duration::from_secs(120)).await;
    for name in read_models() {
        assert_eq!(
            common::checkpoint(db.pool(), name).await,
            written,
            "{name} checkpoint = head"
        );
    }
    let relay: (i64, i64) =
        sqlx::query_as("SELECT transaction_id, position FROM relay_checkpoints WHERE name = 'main'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut relay = relay;
    while relay.1 != written.position {
        assert!(Instant::now() < deadline, "relay stuck at {relay:?}, head {written:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        relay = sqlx::query_as("SELECT transaction_id, position FROM relay_checkpoints WHERE name = 'main'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    }
    common::assert_exactly_once(db.pool()).await;
    for (i, p) in procs.iter_mut().enumerate() {
        assert!(
            p.terminate(),
            "process {i} did not stop cleanly on SIGTERM (log: {:?})",
            p.log
        );
    }
    // The processes' logs are kept when the test fails for a look, and removed when it passes.
    let _ = std::fs::remove_dir_all(&logs);
}
