//! Partitioned read models shared between worker processes (issue 19): processes balance the
//! partitions between them as they come and go (one killed with SIGKILL), doubling the count
//! splits every partition while events flow, and through all of it every event reaches every
//! read model exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use brigade_testkit as common;

use brigade_domain::catalog::MenuCategory;
use brigade_domain::ids::MenuItemId;
use brigade_eventstore::Partition;
use common::nats::NatsServer;
use common::process::Proc;
use common::restaurant::Restaurant;
use common::{TestDb, checkpoint, head_of, read_models};
use sqlx::PgPool;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

fn worker_bin() -> &'static str {
    env!("CARGO_BIN_EXE_brigade-worker")
}

/// A `brigade-worker project` process running every read model in `parts` partitions.
fn worker(parts: u16, logs: &std::path::Path, n: usize) -> Proc {
    let mut p = Proc::new(worker_bin(), vec!["project"], logs.join(format!("worker-{n}.log")));
    p.env.push(("BRIGADE_PARTITIONS", parts.to_string()));
    p
}

/// Every partition lease name of the three read models in `parts` partitions.
fn units(parts: u16) -> Vec<String> {
    read_models()
        .into_iter()
        .flat_map(|m| Partition::all(parts).map(move |p| p.name(m)))
        .collect()
}

/// How many partitions each live worker process holds, by pid, from the owners' records.
async fn shares(pool: &PgPool, parts: u16) -> BTreeMap<u32, usize> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT o.worker_id FROM projection_owners o JOIN projection_workers w USING (worker_id) \
          WHERE w.seen_at > now() - interval '5 seconds' AND o.name = ANY($1)",
    )
    .bind(units(parts))
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = BTreeMap::new();
    for worker in rows {
        let pid: u32 = worker.rsplit(':').next().unwrap().parse().unwrap();
        *out.entry(pid).or_default() += 1;
    }
    out
}

/// Waits until the shares are exactly `expected` (pid -> partitions); returns how long it took.
async fn wait_shares(pool: &PgPool, parts: u16, expected: &[(u32, usize)]) -> Duration {
    let expected: BTreeMap<u32, usize> = expected.iter().copied().collect();
    let started = Instant::now();
    loop {
        let now = shares(pool, parts).await;
        if now == expected {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "shares never became {expected:?}: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Watches, until stopped, that no partition's lease is ever granted to two sessions and that no
/// partition's checkpoint ever moves back; returns how many samples it took.
fn watch_leases(pool: PgPool, parts: Vec<u16>, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let names: Vec<String> = parts.iter().flat_map(|p| units(*p)).collect();
        let leases: Vec<String> = names.iter().map(|n| brigade_projections::lease_name(n)).collect();
        let mut last: HashMap<String, (i64, i64)> = HashMap::new();
        let mut samples = 0;
        while !stop.load(Ordering::SeqCst) {
            let holders: Vec<(String, i64)> = sqlx::query_as(
                "SELECT n, count(l.pid) FROM unnest($1::text[]) n LEFT JOIN pg_locks l ON l.locktype = 'advisory' \
                    AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended(n, 0) \
                  GROUP BY n",
            )
            .bind(&leases)
            .fetch_all(&pool)
            .await
            .unwrap();
            for (name, n) in holders {
                assert!(n <= 1, "{name} is held by {n} sessions at once");
            }
            let rows: Vec<(String, i64, i64)> = sqlx::query_as(
                "SELECT name, transaction_id, position FROM projection_checkpoints WHERE name = ANY($1)",
            )
            .bind(&names)
            .fetch_all(&pool)
            .await
            .unwrap();
            for (name, tx, pos) in rows {
                let before = last.insert(name.clone(), (tx, pos));
                assert!(
                    before.is_none_or(|b| b <= (tx, pos)),
                    "{name} moved back from {before:?} to {:?}",
                    (tx, pos)
                );
            }
            samples += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        samples
    })
}

/// Several restaurants (so every partition has organizations), each with a small menu.
async fn restaurants(db: &TestDb, n: usize) -> Vec<(Arc<Restaurant>, Vec<MenuItemId>)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let r = Restaurant::open(&db.store, Restaurant::morning()).await;
        let flour = r.item("Flour", "kg", "10").await;
        r.stock_kitchen(flour, "500", "1.20").await;
        let bread = r
            .dish("Bread", MenuCategory::Food, "4.00", "pastry", &[(flour, "0.2")])
            .await;
        let lager = r.dish("Lager", MenuCategory::Beverage, "6.00", "bar", &[]).await;
        out.push((Arc::new(r), vec![bread, lager]));
    }
    out
}

/// Orders placed, sent and finished across the restaurants until `stop`.
fn service(menus: &[(Arc<Restaurant>, Vec<MenuItemId>)], stop: &Arc<AtomicBool>) -> JoinSet<u64> {
    let mut tasks = JoinSet::new();
    for (r, items) in menus.iter().cloned() {
        let stop = stop.clone();
        tasks.spawn(async move {
            let mut orders = 0;
            while !stop.load(Ordering::SeqCst) {
                let order = r.place_and_send(&[(items[0], 2), (items[1], 1)], None).await;
                r.finish(order).await;
                orders += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            orders
        });
    }
    tasks
}

/// Waits until every partition checkpoint of every read model is at the head, then checks
/// nothing is parked and every read model equals a from-scratch rebuild.
async fn assert_exactly_once(db: &TestDb, parts: u16) {
    common::wait_at_head(db.pool(), &units(parts), Duration::from_secs(60)).await;
    common::assert_exactly_once(db.pool()).await;
}

/// What both tests run on: a database, a NATS server, the relay as a process, eight restaurants
/// taking orders, and a watch on the leases and checkpoints of `watched` partition counts.
struct Scene {
    db: TestDb,
    nats: NatsServer,
    logs: std::path::PathBuf,
    relay: Proc,
    stop_service: Arc<AtomicBool>,
    service: JoinSet<u64>,
    stop_watch: Arc<AtomicBool>,
    watch: tokio::task::JoinHandle<usize>,
}

impl Scene {
    async fn start(name: &str, watched: Vec<u16>) -> Scene {
        let db = TestDb::create(name).await;
        let nats = NatsServer::start().await;
        let logs = std::env::temp_dir().join(format!("brigade-{name}-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&logs).unwrap();
        let mut relay = Proc::new(worker_bin(), vec!["relay"], logs.join("relay.log"));
        relay.start(&db.url, &nats.url());
        let menus = restaurants(&db, 8).await;
        let stop_service = Arc::new(AtomicBool::new(false));
        let service = service(&menus, &stop_service);
        let stop_watch = Arc::new(AtomicBool::new(false));
        let watch = watch_leases(db.pool().clone(), watched, stop_watch.clone());
        Scene {
            db,
            nats,
            logs,
            relay,
            stop_service,
            service,
            stop_watch,
            watch,
        }
    }

    /// A worker process for `parts` partitions, started.
    fn worker(&self, parts: u16, n: usize) -> Proc {
        let mut p = worker(parts, &self.logs, n);
        p.start(&self.db.url, &self.nats.url());
        p
    }

    /// Stops the orders; how many were placed.
    async fn stop_service(&mut self) -> u64 {
        self.stop_service.store(true, Ordering::SeqCst);
        let mut orders = 0;
        while let Some(n) = self.service.join_next().await {
            orders += n.unwrap();
        }
        orders
    }

    /// Stops the watch (it panics the test if it saw a lease held twice or a checkpoint move
    /// back) and the relay; how many samples the watch took.
    async fn finish(mut self) -> usize {
        self.stop_watch.store(true, Ordering::SeqCst);
        let samples = self.watch.await.unwrap();
        assert!(self.relay.terminate(), "the relay did not stop cleanly");
        let _ = std::fs::remove_dir_all(&self.logs);
        samples
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_share_the_partitions_evenly_and_take_over_a_killed_ones_share() {
    let mut scene = Scene::start("balance", vec![4]).await;
    let pool = scene.db.pool().clone();

    let mut workers = vec![scene.worker(4, 0)];
    let w0 = workers[0].pid().unwrap();
    let took = wait_shares(&pool, 4, &[(w0, 12)]).await;
    println!("one process: all 12 partitions in {took:?}");

    workers.push(scene.worker(4, 1));
    workers.push(scene.worker(4, 2));
    let (w1, w2) = (workers[1].pid().unwrap(), workers[2].pid().unwrap());
    let took = wait_shares(&pool, 4, &[(w0, 4), (w1, 4), (w2, 4)]).await;
    println!("three processes: 4 partitions each in {took:?}");
    // The operator's view lists every partition, of how many, and the process running it.
    let lags = brigade_projections::lag(&pool).await.unwrap();
    assert_eq!(lags.len(), 12, "{lags:?}");
    for l in &lags {
        let (projection, partition) = Partition::parse(&l.name);
        assert_eq!(
            (l.projection.as_str(), l.partition, l.partitions),
            (projection, partition.index(), 4)
        );
        let owner: u32 = l.owner.as_deref().unwrap().rsplit(':').next().unwrap().parse().unwrap();
        assert!([w0, w1, w2].contains(&owner), "{l:?}");
    }

    workers[2].kill();
    let took = wait_shares(&pool, 4, &[(w0, 6), (w1, 6)]).await;
    println!("one killed (SIGKILL): 6 each for the two left in {took:?}");

    let orders = scene.stop_service().await;
    println!("{orders} orders, {} events", head_of(&pool).await.position);
    assert_exactly_once(&scene.db, 4).await;
    for (i, w) in workers.iter_mut().enumerate().take(2) {
        assert!(w.terminate(), "worker {i} did not stop cleanly (log: {:?})", w.log);
    }
    let samples = scene.finish().await;
    assert!(samples > 50, "the lease watch sampled only {samples} times");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doubling_the_partitions_while_events_flow_splits_each_one_at_its_checkpoint() {
    let mut scene = Scene::start("split", vec![2, 4]).await;
    let db = &scene.db;
    let mut two = scene.worker(2, 0);
    wait_shares(db.pool(), 2, &[(two.pid().unwrap(), 6)]).await;
    // Events applied in two partitions for a while.
    let deadline = Instant::now() + Duration::from_secs(30);
    while checkpoint(db.pool(), "kitchen_queue.1of2").await.position < 300 {
        assert!(Instant::now() < deadline, "the two partitions never got going");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A process of the new count waits for the old partitions' leases...
    let mut four = scene.worker(4, 1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let parts: Vec<i32> = sqlx::query_scalar("SELECT parts FROM projection_partitions")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert!(
        parts.iter().all(|p| *p == 2),
        "split while the old worker still ran: {parts:?}"
    );
    // ...and splits them once the old process has stopped.
    assert!(two.terminate(), "the old worker did not stop cleanly");
    let took = wait_shares(db.pool(), 4, &[(four.pid().unwrap(), 12)]).await;
    println!("split 2 -> 4 and all 12 partitions running {took:?} after the old process stopped");
    let parts: Vec<(String, i32)> = sqlx::query_as("SELECT projection, parts FROM projection_partitions ORDER BY 1")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(
        parts,
        vec![("kitchen_queue".into(), 4), ("sales".into(), 4), ("stock".into(), 4)]
    );
    let old: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_checkpoints WHERE name LIKE '%of2'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(old, 0, "the old partitions' checkpoints are gone");

    // A worker still configured for two refuses to run any of it.
    let mut stale = scene.worker(2, 2);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = std::fs::read_to_string(&stale.log).unwrap_or_default();
        if log.contains("runs in 4 partition(s) in this installation") {
            break;
        }
        assert!(Instant::now() < deadline, "the stale worker did not refuse: {log}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shares(db.pool(), 4).await.get(&stale.pid().unwrap()), None);

    scene.stop_service().await;
    assert_exactly_once(&scene.db, 4).await;
    assert!(four.terminate(), "the worker did not stop cleanly");
    assert!(stale.terminate(), "the stale worker did not stop cleanly");
    scene.finish().await;
}
