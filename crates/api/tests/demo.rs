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

/// Runs every read model's worker over the store (no NATS: they follow the log) until each has
/// applied everything.
async fn build_read_models(store: &EventStore) {
    use brigade_projections::{Worker, WorkerConfig, models};
    let token = tokio_util::sync::CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    for projection in models::all() {
        let worker = Worker::new(store.pool().clone(), None, projection, WorkerConfig::default());
        let token = token.clone();
        tasks.spawn(async move { worker.run(token).await.unwrap() });
    }
    let head: i64 = sqlx::query_scalar("SELECT max(position) FROM events")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let behind: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM projection_checkpoints WHERE position < $1 AND name NOT LIKE '%@rebuild'",
        )
        .bind(head)
        .fetch_one(store.pool())
        .await
        .unwrap();
        let started: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_checkpoints")
            .fetch_one(store.pool())
            .await
            .unwrap();
        if started == 3 && behind == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "read models did not catch up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    token.cancel();
    while tasks.join_next().await.is_some() {}
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_demo_day_builds_every_read_model_and_its_pl_matches_the_events(pool: PgPool) {
    use brigade_domain::order::OrderEvent;
    use brigade_domain::pnl::Grouping;
    use brigade_domain::stock::StockEvent;
    use brigade_domain::valuation::{ItemValuation, Method};
    use brigade_projections::reports;
    use rust_decimal::Decimal;

    let store = EventStore::new(pool);
    let now = chrono::Utc::now();
    demo::load(&store, now).await.unwrap();
    build_read_models(&store).await;
    let parked: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_parked")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(parked, 0, "every demo event applies");
    for projection in brigade_projections::models::all() {
        brigade_projections::build_shadow(store.pool(), projection.clone(), 5000)
            .await
            .unwrap();
        let differences = brigade_projections::compare(store.pool(), projection.as_ref())
            .await
            .unwrap();
        assert!(
            differences.is_empty(),
            "{} differs from its rebuild: {differences:?}",
            projection.name()
        );
    }

    // The figures again, straight from the events: sales from order.closed, refunds, and the FIFO
    // cost of what closed orders consumed, by replaying each item's ledger through the domain.
    let rows: Vec<(String, String, i32, String)> = sqlx::query_as(
        "SELECT stream_id, event_type, schema_version, payload::text FROM events ORDER BY transaction_id, position",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let (mut sales, mut refunds, mut closed) = (Decimal::ZERO, Decimal::ZERO, BTreeSet::new());
    let mut ledgers: BTreeMap<String, ItemValuation> = BTreeMap::new();
    let mut cost_by_order: BTreeMap<uuid::Uuid, Decimal> = BTreeMap::new();
    for (stream, event_type, version, payload) in &rows {
        match DomainEvent::decode_str(event_type, *version, payload).unwrap() {
            DomainEvent::Order(OrderEvent::Closed {
                food_sales,
                beverage_sales,
                discount,
                ..
            }) => {
                sales += food_sales.value() + beverage_sales.value() - discount.value();
                closed.insert(stream.trim_start_matches("order-").to_owned());
            }
            DomainEvent::Order(OrderEvent::PaymentRefunded { amount, .. }) => refunds += amount.value(),
            DomainEvent::Stock(event) => {
                let item = ledgers.entry(stream.clone()).or_default();
                match event {
                    StockEvent::Received {
                        quantity, unit_cost, ..
                    } => item.receive(quantity.value(), unit_cost.value()),
                    StockEvent::Consumed {
                        order_id, allocations, ..
                    } => {
                        for a in allocations {
                            *cost_by_order.entry(order_id.0).or_default() += item.issue(a.quantity.value()).fifo;
                        }
                    }
                    StockEvent::Adjusted { quantity, .. } if quantity.value().is_sign_negative() => {
                        item.issue(-quantity.value());
                    }
                    StockEvent::Adjusted { quantity, .. } => item.found(quantity.value()),
                    StockEvent::Transferred { .. } => {}
                }
            }
            _ => {}
        }
    }
    let cost: Decimal = cost_by_order
        .iter()
        .filter(|(order, _)| closed.contains(&order.to_string()))
        .map(|(_, c)| *c)
        .sum();
    let round = brigade_domain::amount::round_money;
    let tenant = demo::demo_tenant().0;
    let (from, to) = (
        (now - chrono::Duration::days(3)).date_naive(),
        (now + chrono::Duration::days(3)).date_naive(),
    );
    let pl = reports::pnl::statement(store.pool(), tenant, from, to, Grouping::Month, Method::Fifo)
        .await
        .unwrap();
    assert_eq!(pl.total.closed_orders, 9);
    assert_eq!(pl.total.refunds, dec("5.50"));
    assert_eq!(pl.total.net_sales, round(sales - refunds));
    assert_eq!(pl.total.cost_of_sales, round(cost));
    assert!(
        pl.total.wastage > Decimal::ZERO,
        "spoiled tomatoes and the cancelled order's food"
    );
    assert_eq!(pl.total.labor, dec("1850.00"));
    let wastage = reports::stock::wastage(
        store.pool(),
        tenant,
        Method::Fifo,
        now - chrono::Duration::days(3),
        now + chrono::Duration::days(3),
    )
    .await
    .unwrap();
    let reasons: BTreeSet<&str> = wastage.iter().map(|w| w.group.as_str()).collect();
    assert_eq!(reasons, BTreeSet::from(["cancelled_order", "spoilage"]));
    let kitchen = reports::kitchen::screen(store.pool(), tenant, None, now).await.unwrap();
    assert!(kitchen.tickets.is_empty(), "every demo order was served or cancelled");
    let menu = reports::menu::bcg_matrix(store.pool(), tenant, from, to, Method::Fifo)
        .await
        .unwrap();
    assert_eq!(menu.overall.items.len(), 16, "every item on offer counts, sold or not");
}

fn dec(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn every_demo_role_gets_a_login_once(pool: PgPool) {
    use brigade_api::auth::{password, sessions};
    use brigade_api::demo_logins::{DEMO_PASSWORD, demo_user, ensure};
    use brigade_domain::user::{User, UserStatus};

    let store = EventStore::new(pool.clone());
    demo::load(&store, chrono::Utc::now()).await.unwrap();
    let logins = ensure(&store).await.unwrap();
    assert_eq!(logins.len(), 8);
    let events_after_first: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    ensure(&store).await.unwrap();
    let events_after_second: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(events_after_first, events_after_second, "a second run adds nothing");
    for (name, role) in logins {
        let credential = sessions::credential(&pool, name).await.unwrap().expect("a login");
        assert_eq!(credential.user_id, demo_user(name).0);
        assert!(
            password::verify(DEMO_PASSWORD.into(), Some(credential.password_hash)).await,
            "{name}"
        );
        let user = store
            .tenant(demo::demo_tenant())
            .load::<User>(&stream_id::<User>(demo_user(name)))
            .await
            .unwrap()
            .state;
        assert_eq!(user.status, Some(UserStatus::Active), "{name}");
        assert!(user.roles.contains(&role), "{name}: {:?}", user.roles);
    }
}
