//! Past one machine, under faults (issue 19): two API servers (workers off), three worker
//! processes sharing every read model in four partitions, and a three-node JetStream cluster
//! keeping three copies of the stream. 20,000 orders go in through HTTP, spread over both
//! servers, while worker processes and one API server are SIGKILLed and restarted and one NATS
//! node is SIGKILLed and brought back. At the end every acknowledged order is in the store,
//! every partition's checkpoint is the head, nothing is parked, every read model equals its
//! rebuild, and no order was refused while the NATS node was down.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use brigade_api::auth::tokens::Keys;
use brigade_domain::Role;
use brigade_domain::ids::{TenantId, UserId};
use brigade_eventstore::Partition;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use support::common::nats::NatsCluster;
use support::common::process::{Proc, Rng};
use support::common::{TestDb, assert_exactly_once, head_of, read_models, wait_at_head};
use support::{Api, ServeProcess};
use uuid::Uuid;

const ORDERS: u64 = 20_000;
const PARTITIONS: u16 = 4;
const SECRET: &str = "a test secret of at least thirty-two bytes";

/// `brigade-worker`, built beside `brigade` by `cargo test --workspace` (make test).
fn worker_bin() -> &'static str {
    let brigade = std::path::Path::new(env!("CARGO_BIN_EXE_brigade"));
    let worker = brigade.with_file_name("brigade-worker");
    assert!(
        worker.exists(),
        "{} is missing: build it with `cargo build -p brigade-projections --bins` (make test does)",
        worker.display()
    );
    Box::leak(worker.to_string_lossy().into_owned().into_boxed_str())
}

async fn api_server(db: &TestDb, nats: &str) -> ServeProcess {
    ServeProcess::start(
        &db.url,
        nats,
        &[
            ("BRIGADE_WORKERS", "false"),
            ("BRIGADE_JWT_SECRET", SECRET),
            ("BRIGADE_RATE_LIMIT", "100000"),
            ("BRIGADE_RATE_BURST", "100000"),
        ],
    )
    .await
}

/// What one attempt at an order came to.
enum Sent {
    /// 201, with the order's id.
    Placed(String),
    /// The server answered something else: a refusal.
    Refused(u16, String),
    /// No answer (the server was down or went down): try again, elsewhere, with the same key.
    Unanswered,
}

async fn place(http: &reqwest::Client, base: &str, token: &str, key: &str, item: &str) -> Sent {
    let body = json!({"order_type": "takeout", "lines": [{"menu_item_id": item, "quantity": 2}]});
    let sent = http
        .post(format!("{base}/api/v1/pos/orders"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&body)
        .timeout(Duration::from_secs(20))
        .send()
        .await;
    let Ok(response) = sent else { return Sent::Unanswered };
    let status = response.status().as_u16();
    let Ok(text) = response.text().await else {
        return Sent::Unanswered;
    };
    if status == 201 {
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        return Sent::Placed(answer["id"].as_str().unwrap().to_owned());
    }
    Sent::Refused(status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_orders_through_two_servers_survive_killed_workers_a_killed_server_and_a_lost_nats_node() {
    let db = TestDb::create("cluster").await;
    let mut nats = NatsCluster::start().await;
    let nats_url = nats.url();
    let logs = std::env::temp_dir().join(format!("brigade-cluster-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&logs).unwrap();

    let mut workers: Vec<Proc> = (0..3)
        .map(|i| {
            let mut p = Proc::new(worker_bin(), vec!["all"], logs.join(format!("worker-{i}.log")));
            p.env.push(("BRIGADE_PARTITIONS", PARTITIONS.to_string()));
            p.env.push(("BRIGADE_STREAM_REPLICAS", "3".into()));
            p
        })
        .collect();
    for w in &mut workers {
        w.start(&db.url, &nats_url);
    }
    let mut servers = vec![api_server(&db, &nats_url).await, api_server(&db, &nats_url).await];
    let bases = Arc::new(RwLock::new(vec![servers[0].base.clone(), servers[1].base.clone()]));

    // Eight restaurants (so all four partitions have organizations), each with a dish.
    let keys = Keys::from_secret(SECRET.as_bytes()).unwrap();
    let http = reqwest::Client::new();
    let setup = Api::new(&servers[0].base);
    let mut restaurants = Vec::new();
    for _ in 0..8 {
        let org = TenantId(Uuid::now_v7());
        let token = |role| {
            keys.issue(UserId(Uuid::now_v7()), org, vec![role], chrono::Utc::now())
                .unwrap()
        };
        let (manager, cashier) = (token(Role::Manager), token(Role::PosOperator));
        let item = setup
            .created(
                "/api/v1/menu/items",
                &manager,
                json!({"name": "Burger", "category": "food", "sell_price": "15.00", "station": "grill", "recipe": []}),
            )
            .await;
        restaurants.push((org, cashier, item));
    }
    let partitions: std::collections::BTreeSet<u16> = restaurants
        .iter()
        .map(|(org, _, _)| Partition::of(org.0, PARTITIONS).index())
        .collect();
    println!("the restaurants' partitions: {partitions:?}");

    // The service: 16 terminals, each order to the next server in turn; an unanswered order is
    // sent again (same key) until a server answers it.
    let next = Arc::new(AtomicU64::new(0));
    let nats_down = Arc::new(AtomicBool::new(false));
    let placed_while_down = Arc::new(AtomicU64::new(0));
    let mut terminals = tokio::task::JoinSet::new();
    for t in 0..16usize {
        let (restaurants, bases, next, http) = (restaurants.clone(), bases.clone(), next.clone(), http.clone());
        let (nats_down, placed_while_down) = (nats_down.clone(), placed_while_down.clone());
        terminals.spawn(async move {
            let mut placed: Vec<(TenantId, String)> = Vec::new();
            let mut refused: Vec<String> = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= ORDERS {
                    break;
                }
                let (org, cashier, item) = &restaurants[(n as usize + t) % restaurants.len()];
                let key = Uuid::now_v7().to_string();
                let mut attempt = n as usize;
                loop {
                    let base = bases.read().unwrap()[attempt % 2].clone();
                    let down = nats_down.load(Ordering::SeqCst);
                    match place(&http, &base, cashier, &key, item).await {
                        Sent::Placed(id) => {
                            if down {
                                placed_while_down.fetch_add(1, Ordering::SeqCst);
                            }
                            placed.push((*org, id));
                            break;
                        }
                        Sent::Refused(status, text) => {
                            refused.push(format!("{status} (NATS node down: {down}): {text}"));
                            break;
                        }
                        Sent::Unanswered => {
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }
            (placed, refused)
        });
    }

    // The faults, while the orders go in.
    let mut rng = Rng::from_clock();
    println!("cluster chaos seed {}", rng.0);
    let started = Instant::now();
    let (mut worker_kills, mut server_killed, mut nats_killed) = (0, false, false);
    while next.load(Ordering::SeqCst) < ORDERS {
        tokio::time::sleep(Duration::from_millis(400 + rng.next(1200))).await;
        let victim = rng.next(3) as usize;
        workers[victim].kill();
        worker_kills += 1;
        tokio::time::sleep(Duration::from_millis(rng.next(400))).await;
        workers[victim].start(&db.url, &nats_url);
        let done = next.load(Ordering::SeqCst);
        if !server_killed && done > ORDERS / 4 {
            let old = servers.remove(1);
            old.kill();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let new = api_server(&db, &nats_url).await;
            bases.write().unwrap()[1] = new.base.clone();
            servers.push(new);
            server_killed = true;
        }
        if !nats_killed && done > ORDERS / 2 {
            let node = rng.next(3) as usize;
            nats.kill(node);
            nats_down.store(true, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(3)).await;
            nats_down.store(false, Ordering::SeqCst);
            nats.resume(node).await;
            nats_killed = true;
        }
    }
    let mut placed = Vec::new();
    let mut refused = Vec::new();
    while let Some(result) = terminals.join_next().await {
        let (p, r) = result.unwrap();
        placed.extend(p);
        refused.extend(r);
    }
    let head = head_of(db.pool()).await;
    println!(
        "{} orders acknowledged, {} events, in {:?}; worker processes killed {worker_kills} times; \
         an API server killed: {server_killed}; a NATS node killed: {nats_killed}; {} orders placed while it was down",
        placed.len(),
        head.position,
        started.elapsed(),
        placed_while_down.load(Ordering::SeqCst)
    );
    assert!(
        refused.is_empty(),
        "orders refused: {:?}",
        &refused[..refused.len().min(5)]
    );
    assert_eq!(placed.len() as u64, ORDERS);
    assert!(
        server_killed && nats_killed,
        "the orders finished before every fault happened"
    );
    assert!(
        worker_kills >= 3,
        "too few worker kills to mean anything: {worker_kills}"
    );
    assert!(
        placed_while_down.load(Ordering::SeqCst) > 0,
        "no order went in while the NATS node was down"
    );

    // Every acknowledged order's events are in the store.
    let streams: Vec<String> = placed.iter().map(|(_, id)| format!("order-{id}")).collect();
    let stored: i64 = sqlx::query_scalar("SELECT count(DISTINCT stream_id) FROM events WHERE stream_id = ANY($1)")
        .bind(&streams)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(stored, streams.len() as i64, "every acknowledged order is in the store");

    // Every partition of every read model reaches the head.
    let names: Vec<String> = read_models()
        .into_iter()
        .flat_map(|m| Partition::all(PARTITIONS).map(move |p| p.name(m)))
        .collect();
    wait_at_head(db.pool(), &names, Duration::from_secs(120)).await;
    // The relay published everything, to a stream the cluster keeps three copies of.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let relay: i64 = sqlx::query_scalar("SELECT position FROM relay_checkpoints WHERE name = 'main'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        if relay == head.position {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the relay is stuck at {relay}, head {}",
            head.position
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let client = async_nats::connect(nats_url.split(',').next().unwrap()).await.unwrap();
    let info = client
        .request("$JS.API.STREAM.INFO.BRIGADE_EVENTS", "".into())
        .await
        .unwrap();
    let info: serde_json::Value = serde_json::from_slice(&info.payload).unwrap();
    assert_eq!(info["config"]["num_replicas"], 3, "{info}");
    assert_eq!(
        info["cluster"]["replicas"].as_array().map(Vec::len),
        Some(2),
        "a leader and two replicas: {info}"
    );
    assert_exactly_once(db.pool()).await;
    for server in servers {
        assert!(server.stop().await.success(), "an API server did not stop cleanly");
    }
    for (i, w) in workers.iter_mut().enumerate() {
        assert!(w.terminate(), "worker {i} did not stop cleanly (log: {:?})", w.log);
    }
    let _ = std::fs::remove_dir_all(&logs);
}
