//! The swap of a rebuilt read model, with the timing forced: events that arrive while the swap
//! waits for its locks (after its last catch-up) are applied inside the swap's transaction, so
//! the live model loses none of them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use brigade_testkit as common;

use brigade_domain::catalog::MenuCategory;
use brigade_domain::order::{Order, OrderCommand};
use brigade_domain::{Aggregate, stream_id};
use brigade_eventstore::{ExpectedVersion, StreamAppend};
use brigade_projections::{ShadowRun, models};
use common::nats::NatsServer;
use common::restaurant::Restaurant;
use common::{Fanout, TestDb, assert_equals_rebuild, read_models, wait_caught_up};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_arriving_while_the_swap_waits_for_its_locks_are_applied_in_the_swap() {
    let db = TestDb::create("swap_race").await;
    let nats = NatsServer::start().await;
    let fanout = Fanout::start(&db, &nats.url()).await;
    let r = Restaurant::open(&db.store, Restaurant::morning()).await;
    let soup = r.dish("Soup", MenuCategory::Food, "7.50", "hot", &[]).await;
    for _ in 0..20 {
        r.sell(soup, 1).await;
    }
    wait_caught_up(db.pool(), &read_models(), Duration::from_secs(30)).await;

    // A writer holds the swap back: its transaction appends a rush to an order (the log cannot be
    // read past it until it commits, so the shadow's catch-up stops before it) and holds a lock
    // on the live tickets (so the swap waits). When it commits, its event is readable inside the
    // swap's transaction, and must go into the swapped-in model there.
    let order = r.place_and_send(&[(soup, 1)], None).await;
    let stream = stream_id::<Order>(order);
    let loaded = r.store.load::<Order>(&stream).await.unwrap();
    let rush = loaded
        .state
        .decide(&OrderCommand::SetPriority { rush: true }, &r.ctx())
        .unwrap();
    let mut blocker = db.pool().begin().await.unwrap();
    let append = StreamAppend::new(stream.clone(), ExpectedVersion::at(loaded.version), &rush);
    r.store
        .append_in(&mut blocker, &Restaurant::meta(&r.ctx()), &[append])
        .await
        .unwrap();
    sqlx::query("LOCK TABLE kitchen_queue.tickets IN ROW EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let kitchen = models::by_name("kitchen_queue").unwrap();
    let run = ShadowRun::open(db.pool(), kitchen.clone(), 500, true).await.unwrap();
    let swap = tokio::spawn(run.swap_in());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!swap.is_finished(), "the swap waits for the lock");
    blocker.commit().await.unwrap();
    r.store.wake_readers();
    let swapped = swap.await.unwrap().unwrap();
    assert_eq!(
        swapped.applied_during_swap, 1,
        "the rush went in with the swap: {swapped:?}"
    );

    wait_caught_up(db.pool(), &read_models(), Duration::from_secs(30)).await;
    assert_equals_rebuild(db.pool(), kitchen).await;
    fanout.stop().await;
}
