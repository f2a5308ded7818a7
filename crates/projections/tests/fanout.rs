//! Fan-out through the relay and NATS JetStream: catch-up from the store, then live delivery;
//! poison events; NATS going away while commands keep coming.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use brigade_testkit as common;

use brigade_domain::expense::ExpenseCategory;
use brigade_domain::ids::{TenantId, UserId};
use brigade_eventstore::{CommandMeta, ExpectedVersion, NewEvent, Relay, RelayConfig, StreamAppend};
use brigade_projections::runner::connect_nats;
use brigade_projections::{Projection, Worker, lag, request_retry};
use common::nats::NatsServer;
use common::restaurant::Restaurant;
use common::tally::Tally;
use common::{TestDb, assert_equals_rebuild, fast_workers, head_of, wait_caught_up};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Appends `streams` x `per_stream` counter events for one tenant, `per_append` per append.
async fn counters(db: &TestDb, tenant: TenantId, streams: &[String], per_stream: u64, per_append: u64) {
    for stream in streams {
        let mut version = 0;
        while version < per_stream {
            let events = (0..per_append)
                .map(|i| NewEvent {
                    event_id: Uuid::now_v7(),
                    event_type: "counter.incremented".into(),
                    schema_version: 1,
                    payload: serde_json::json!({ "n": version + i + 1 }),
                })
                .collect();
            let meta = CommandMeta::direct(Uuid::now_v7(), Uuid::now_v7(), Some(UserId(Uuid::now_v7())));
            let append = StreamAppend {
                stream_id: stream.clone(),
                expected: ExpectedVersion::at(version),
                events,
            };
            db.store.tenant(tenant).append(&meta, &[append]).await.unwrap();
            version += per_append;
        }
    }
}

fn spawn_relay(db: &TestDb, js: &async_nats::jetstream::Context, token: &CancellationToken, tasks: &mut JoinSet<()>) {
    let relay = Relay::new(db.store.clone(), js.clone(), RelayConfig::default());
    let token = token.clone();
    tasks.spawn(async move { relay.run(token).await.unwrap() });
}

fn spawn_worker(
    db: &TestDb,
    js: Option<async_nats::jetstream::Context>,
    projection: Arc<dyn Projection>,
    token: &CancellationToken,
    tasks: &mut JoinSet<()>,
) {
    let worker = Worker::new(db.pool().clone(), js, projection, fast_workers());
    let token = token.clone();
    tasks.spawn(async move { worker.run(token).await.unwrap() });
}

async fn parked(db: &TestDb, name: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM projection_parked WHERE name = $1")
        .bind(name)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projection_registered_after_50000_events_catches_up_from_the_store_then_follows_live() {
    let db = TestDb::create("catchup").await;
    let nats = NatsServer::start().await;
    let js = connect_nats(&nats.url()).await.unwrap();
    let (token, mut tasks) = (CancellationToken::new(), JoinSet::new());
    spawn_relay(&db, &js, &token, &mut tasks);
    let tenant = TenantId(Uuid::now_v7());
    let streams: Vec<String> = (0..50).map(|_| format!("counter-{}", Uuid::now_v7())).collect();
    counters(&db, tenant, &streams, 1000, 100).await;
    assert_eq!(head_of(db.pool()).await.position, 50_000);

    let tally = Arc::new(Tally::install(db.pool(), "late").await);
    spawn_worker(&db, Some(js.clone()), tally.clone(), &token, &mut tasks);
    let started = Instant::now();
    wait_caught_up(db.pool(), &["late"], Duration::from_secs(60)).await;
    let caught_up_in = started.elapsed();
    assert_eq!(tally.count(db.pool()).await, 50_000);

    // Live events now come through NATS, while more are written.
    let live: Vec<String> = (0..10).map(|_| format!("counter-{}", Uuid::now_v7())).collect();
    let writer = {
        let (db_store, live) = (db.store.clone(), live.clone());
        tokio::spawn(async move {
            let db = TestDb {
                url: String::new(),
                store: db_store,
            };
            counters(&db, tenant, &live, 500, 1).await;
        })
    };
    writer.await.unwrap();
    wait_caught_up(db.pool(), &["late"], Duration::from_secs(60)).await;
    assert_eq!(tally.count(db.pool()).await, 55_000, "every event exactly once");
    for stream in &live {
        assert_eq!(tally.versions(db.pool(), stream).await, (1..=500).collect::<Vec<i64>>());
    }
    assert_eq!(
        parked(&db, "late").await,
        0,
        "a double application would have been parked"
    );
    // The live events did arrive through the consumer.
    let mut consumer: async_nats::jetstream::consumer::PullConsumer = js
        .get_stream("BRIGADE_EVENTS")
        .await
        .unwrap()
        .get_consumer("brigade-late")
        .await
        .unwrap();
    let info = consumer.info().await.unwrap();
    assert!(
        info.delivered.stream_sequence > 50_000,
        "delivered {:?}",
        info.delivered
    );
    println!("caught up on 50,000 events in {caught_up_in:?}");
    token.cancel();
    while tasks.join_next().await.is_some() {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_event_is_parked_its_stream_held_and_applied_after_a_retry() {
    let db = TestDb::create("poison").await;
    let nats = NatsServer::start().await;
    let js = connect_nats(&nats.url()).await.unwrap();
    let (token, mut tasks) = (CancellationToken::new(), JoinSet::new());
    spawn_relay(&db, &js, &token, &mut tasks);
    let tally = Arc::new(Tally::install(db.pool(), "choosy").await);
    let (bad, good) = (
        format!("counter-{}", Uuid::now_v7()),
        format!("counter-{}", Uuid::now_v7()),
    );
    *tally.poison.lock().unwrap() = Some((bad.clone(), 3));
    spawn_worker(&db, Some(js.clone()), tally.clone(), &token, &mut tasks);
    let tenant = TenantId(Uuid::now_v7());
    // Interleaved, one event per append, so the bad stream's events arrive among the good one's.
    for _ in 0..5 {
        for s in [&bad, &good] {
            let version: u64 = db.store.tenant(tenant).stream_version(s).await.unwrap();
            counters_after(&db, tenant, s, version).await;
        }
    }
    wait_caught_up(db.pool(), &["choosy"], Duration::from_secs(30)).await;
    assert_eq!(
        tally.versions(db.pool(), &good).await,
        vec![1, 2, 3, 4, 5],
        "other streams go on"
    );
    assert_eq!(
        tally.versions(db.pool(), &bad).await,
        vec![1, 2],
        "nothing of the stream past the poison"
    );
    assert_eq!(parked(&db, "choosy").await, 3, "the poison and the two held behind it");
    let report = lag(db.pool()).await.unwrap();
    let choosy = report.iter().find(|l| l.name == "choosy").unwrap();
    assert_eq!(choosy.state, "unhealthy");
    assert!(
        choosy.last_error.as_deref().unwrap_or_default().contains("choke"),
        "{:?}",
        choosy.last_error
    );
    assert_eq!(choosy.lag_events, 0, "the checkpoint moved past it");

    // The fix ships; the operator retries.
    *tally.poison.lock().unwrap() = None;
    assert!(request_retry(db.pool(), "choosy").await.unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    while parked(&db, "choosy").await > 0 {
        assert!(Instant::now() < deadline, "parked events not retried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(tally.versions(db.pool(), &bad).await, vec![1, 2, 3, 4, 5]);
    let report = lag(db.pool()).await.unwrap();
    assert_eq!(report.iter().find(|l| l.name == "choosy").unwrap().state, "healthy");
    // Later events of that stream are applied normally again.
    counters_after(&db, tenant, &bad, 5).await;
    wait_caught_up(db.pool(), &["choosy"], Duration::from_secs(30)).await;
    assert_eq!(tally.versions(db.pool(), &bad).await, (1..=6).collect::<Vec<i64>>());
    token.cancel();
    while tasks.join_next().await.is_some() {}
}

async fn counters_after(db: &TestDb, tenant: TenantId, stream: &str, version: u64) {
    let meta = CommandMeta::direct(Uuid::now_v7(), Uuid::now_v7(), None);
    let event = NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "counter.incremented".into(),
        schema_version: 1,
        payload: serde_json::json!({ "n": version + 1 }),
    };
    let append = StreamAppend {
        stream_id: stream.into(),
        expected: ExpectedVersion::at(version),
        events: vec![event],
    };
    db.store.tenant(tenant).append(&meta, &[append]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_nats_down_for_ten_seconds_commands_are_accepted_and_nothing_is_lost() {
    let db = TestDb::create("natsdown").await;
    let mut nats = NatsServer::start().await;
    let js = connect_nats(&nats.url()).await.unwrap();
    let (token, mut tasks) = (CancellationToken::new(), JoinSet::new());
    spawn_relay(&db, &js, &token, &mut tasks);
    let tally = Arc::new(Tally::install(db.pool(), "steady").await);
    spawn_worker(&db, Some(js.clone()), tally.clone(), &token, &mut tasks);
    let sales = brigade_projections::models::by_name("sales").unwrap();
    spawn_worker(&db, Some(js.clone()), sales.clone(), &token, &mut tasks);
    let r = Arc::new(Restaurant::open(&db.store, Restaurant::morning()).await);

    let writing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let (r, writing) = (r.clone(), writing.clone());
        tokio::spawn(async move {
            let mut accepted = 0_u32;
            let day = Restaurant::morning().date_naive();
            while writing.load(std::sync::atomic::Ordering::SeqCst) {
                // `expense` panics if a command is refused.
                r.expense(ExpenseCategory::Other, "1.00", day).await;
                accepted += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            accepted
        })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    nats.kill();
    let down_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    nats.resume().await;
    let down_for = down_at.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    writing.store(false, std::sync::atomic::Ordering::SeqCst);
    let accepted = writer.await.expect("no command was refused while NATS was down");
    wait_caught_up(db.pool(), &["steady", "sales"], Duration::from_secs(60)).await;
    assert_eq!(
        tally.count(db.pool()).await,
        i64::from(accepted),
        "every expense reached the tally once"
    );
    let expenses: i64 = sqlx::query_scalar("SELECT count(*) FROM sales.expenses")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(expenses, i64::from(accepted));
    assert_equals_rebuild(db.pool(), sales).await;
    // The relay caught up with the store too.
    let relay: i64 = sqlx::query_scalar("SELECT position FROM relay_checkpoints WHERE name = 'main'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut relay_at = relay;
    while relay_at < head_of(db.pool()).await.position {
        assert!(Instant::now() < deadline, "relay did not catch up after NATS returned");
        tokio::time::sleep(Duration::from_millis(100)).await;
        relay_at = sqlx::query_scalar("SELECT position FROM relay_checkpoints WHERE name = 'main'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    }
    println!("{accepted} commands accepted; NATS was down for {down_for:?}");
    token.cancel();
    while tasks.join_next().await.is_some() {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_relay_takes_over_and_lag_is_reported_while_a_projection_is_stopped() {
    let db = TestDb::create("standby").await;
    let nats = NatsServer::start().await;
    let js = connect_nats(&nats.url()).await.unwrap();
    let tenant = TenantId(Uuid::now_v7());
    let stream = format!("counter-{}", Uuid::now_v7());
    let relay_at = |db: &TestDb| {
        let pool = db.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT coalesce(max(position), 0) FROM relay_checkpoints WHERE name = 'main'")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let (first, second) = (CancellationToken::new(), CancellationToken::new());
    let mut tasks = JoinSet::new();
    spawn_relay(&db, &js, &first, &mut tasks);
    counters_after(&db, tenant, &stream, 0).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while relay_at(&db).await < 1 {
        assert!(Instant::now() < deadline, "the first relay never published");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    spawn_relay(&db, &js, &second, &mut tasks);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The active relay goes away; the standby must publish what comes next.
    first.cancel();
    let gone = Instant::now();
    counters_after(&db, tenant, &stream, 1).await;
    let head = head_of(db.pool()).await.position;
    while relay_at(&db).await < head {
        assert!(
            gone.elapsed() < Duration::from_secs(30),
            "the standby did not take over"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("standby relay took over in {:?}", gone.elapsed());

    // A projection that is not running falls behind, and says so.
    let tally = Arc::new(Tally::install(db.pool(), "idle").await);
    let worker_token = CancellationToken::new();
    spawn_worker(&db, Some(js.clone()), tally.clone(), &worker_token, &mut tasks);
    wait_caught_up(db.pool(), &["idle"], Duration::from_secs(30)).await;
    worker_token.cancel();
    tokio::time::sleep(Duration::from_millis(200)).await;
    counters_after(&db, tenant, &stream, 2).await;
    counters_after(&db, tenant, &stream, 3).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let report = lag(db.pool()).await.unwrap();
    let idle = report.iter().find(|l| l.name == "idle").unwrap();
    assert_eq!(idle.lag_events, 2);
    assert!(idle.lag_seconds >= 1.0, "{idle:?}");
    assert_eq!(idle.head.position, head_of(db.pool()).await.position);
    assert!(idle.checkpoint < idle.head);
    assert_eq!(idle.state, "healthy");
    // Started again, it catches up and the lag is gone.
    let worker_token = CancellationToken::new();
    spawn_worker(&db, Some(js.clone()), tally.clone(), &worker_token, &mut tasks);
    wait_caught_up(db.pool(), &["idle"], Duration::from_secs(30)).await;
    let report = lag(db.pool()).await.unwrap();
    let idle = report.iter().find(|l| l.name == "idle").unwrap();
    assert_eq!((idle.lag_events, idle.lag_seconds), (0, 0.0));
    assert_eq!(tally.versions(db.pool(), &stream).await, vec![1, 2, 3, 4]);
    second.cancel();
    worker_token.cancel();
    while tasks.join_next().await.is_some() {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_nats_server_with_little_storage_the_stream_is_kept_by_age_and_events_flow() {
    let db = TestDb::create("small_nats").await;
    // 64 MB of JetStream file storage: the stream's 8 GiB cap cannot be reserved.
    let nats = NatsServer::start_with_max_file_store(64 * 1024 * 1024).await;
    let js = brigade_projections::runner::connect_nats(&nats.url()).await.unwrap();
    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    spawn_relay(&db, &js, &shutdown, &mut tasks);
    let tenant = TenantId(Uuid::now_v7());
    let streams: Vec<String> = (0..5)
        .map(|i| format!("counter-{i}-{}", Uuid::now_v7().simple()))
        .collect();
    counters(&db, tenant, &streams, 20, 5).await;
    let head = head_of(db.pool()).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let relayed: Option<(i64, i64)> =
            sqlx::query_as("SELECT transaction_id, position FROM relay_checkpoints WHERE name = 'main'")
                .fetch_optional(db.pool())
                .await
                .unwrap();
        if relayed.is_some_and(|(_, position)| position == head.position) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the relay never caught up: {relayed:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut stream = js.get_stream("BRIGADE_EVENTS").await.unwrap();
    let info = stream.info().await.unwrap();
    assert_eq!(info.config.max_bytes, -1);
    assert_eq!(info.state.messages, 100);
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
}
