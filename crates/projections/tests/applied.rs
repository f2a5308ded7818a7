//! Read-your-writes: a wait on the event a command wrote returns once the read models named have
//! applied it (and what they show then includes it); it gives up after its timeout naming the
//! read models still behind; an unknown position is said to be unknown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use brigade_testkit as common;

use brigade_domain::catalog::MenuCategory;
use brigade_projections::{Applied, WaitError};
use common::nats::NatsServer;
use common::restaurant::Restaurant;
use common::{Fanout, TestDb, head_of};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_returns_once_the_read_models_have_applied_the_event_or_names_those_behind() {
    let db = TestDb::create("applied").await;
    let nats = NatsServer::start().await;
    let shutdown = CancellationToken::new();
    let applied = Applied::follow(db.pool(), shutdown.clone()).await.unwrap();
    let fanout = Fanout::start(&db, &nats.url()).await;
    let r = Restaurant::open(&db.store, Restaurant::morning()).await;
    let soup = r.dish("Soup", MenuCategory::Food, "7.50", "hot", &[]).await;

    for _ in 0..5 {
        let order = r.place_and_send(&[(soup, 2)], None).await;
        let written = head_of(db.pool()).await.position;
        let started = Instant::now();
        applied
            .wait(&["kitchen_queue", "sales"], written, Duration::from_secs(30))
            .await
            .unwrap();
        eprintln!("applied after {:?}", started.elapsed());
        // What the wait promised: the ticket is on the kitchen's table now.
        let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM kitchen_queue.tickets WHERE order_id = $1")
            .bind(order.0)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(tickets, 1);
    }

    // With the workers stopped, a new event is never applied: the wait says by whom.
    fanout.stop().await;
    r.place_and_send(&[(soup, 1)], None).await;
    let written = head_of(db.pool()).await.position;
    let started = Instant::now();
    let error = applied
        .wait(&["kitchen_queue", "stock"], written, Duration::from_millis(400))
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(400));
    match error {
        WaitError::NotYet { behind } => assert_eq!(behind, ["kitchen_queue", "stock"]),
        other => panic!("{other}"),
    }
    let unknown = applied
        .wait(&["kitchen_queue"], written + 1_000_000, Duration::from_millis(100))
        .await;
    assert!(matches!(unknown, Err(WaitError::UnknownPosition(_))), "{unknown:?}");

    // After shutdown the waiter still answers from the table.
    shutdown.cancel();
    let fanout = Fanout::start(&db, &nats.url()).await;
    applied
        .wait(&["kitchen_queue", "stock"], written, Duration::from_secs(30))
        .await
        .unwrap();
    fanout.stop().await;
}
