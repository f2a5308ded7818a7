//! The demo restaurant: complete, loaded once, and resumable after an interruption.
#![allow(clippy::unwrap_used)]

use brigade_api::demo;
use brigade_domain::menu_item::MenuItem;
use brigade_domain::order::Order;
use brigade_domain::{DomainEvent, stream_id};
use brigade_eventstore::EventStore;
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Every event of the store by type, each one decoded. (Read with plain SQL: the global log may
/// hold back events while another test's transaction is in flight anywhere in the cluster.)
async fn types(store: &EventStore) -> BTreeMap<String, usize> {
    let rows: Vec<(String, i32, serde_json::Value)> =
        sqlx::query_as("SELECT event_type, schema_version, payload FROM events")
            .fetch_all(store.pool())
            .await
            .unwrap();
    let mut counts = BTreeMap::new();
    for (event_type, version, payload) in rows {
        DomainEvent::decode(&event_type, version, payload).unwrap();
        *counts.entry(event_type).or_default() += 1;
    }
    counts
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_interrupted_demo_load_resumes_without_doubling_anything(pool: PgPool) {
    let store = EventStore::new(pool);
    let now = chrono::Utc::now();
    // Stop the first load part-way through: some of the demo is written, not all.
    let interrupted = tokio::time::timeout(Duration::from_millis(120), demo::load(&store, now)).await;
    assert!(interrupted.is_err(), "the first load was meant to be cut short");
    let partial: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(partial > 0, "the first load wrote part of the demo");
    let resumed = demo::load(&store, now).await.unwrap();
    assert!(resumed.loaded);
    assert!(resumed.events > partial);
    let again = demo::load(&store, now).await.unwrap();
    assert!(!again.loaded, "a complete demo is left alone");
    assert_eq!(again.events, resumed.events);

    let counts = types(&store).await;
    assert_eq!(counts["organization.established"], 1);
    assert_eq!(counts["order.placed"], 10);
    assert_eq!(counts["order.sent_to_kitchen"], 10);
    assert_eq!(counts["purchase_order.goods_received"], 3);
    assert_eq!(counts["order.closed"], 9, "every order but the cancelled one closed");
    assert_eq!(counts["order.cancelled"], 1);
    assert_eq!(counts["order.payment_refunded"], 1);
    assert_eq!(counts["inventory_sku.claimed"], counts["inventory_item.registered"]);
    let report = store.verify(None, |_| {}).await.unwrap();
    assert!(report.faults.is_empty());
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_demo_menu_has_twelve_items_on_four_stations_with_recipes(pool: PgPool) {
    let store = EventStore::new(pool);
    demo::load(&store, chrono::Utc::now()).await.unwrap();
    let tenant = store.tenant(demo::demo_tenant());
    let menu: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE 'menu\\_item-%'")
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert!(menu.len() >= 12);
    let mut stations = BTreeSet::new();
    for stream in &menu {
        let item = tenant.load::<MenuItem>(stream).await.unwrap().state.details.unwrap();
        assert!(!item.recipe.is_empty(), "{} has a recipe", item.name);
        stations.insert(item.station);
    }
    assert!(stations.len() >= 4, "{stations:?}");
    // A split payment settled one order in two parts.
    let split = tenant
        .load::<Order>(&stream_id::<Order>(brigade_domain::ids::OrderId(uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            b"brigade-demo:order:1",
        ))))
        .await
        .unwrap();
    assert_eq!(split.state.payments.len(), 2);
    assert!(split.state.closed);
}
