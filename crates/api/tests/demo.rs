//! The demo restaurant: complete, loaded once, and resumable after an interruption.
#![allow(clippy::unwrap_used)]

use brigade_api::demo;
use brigade_domain::menu_item::MenuItem;
use brigade_domain::order::Order;
use brigade_domain::{DomainEvent, stream_id};
use brigade_eventstore::EventStore;
use brigade_testkit::dec;
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
    // Stop the first load part-way through: once some of the demo is written, the load is
    // dropped mid-command, as a crash would. (Cut on what it wrote, not after a set time: a
    // loaded machine may write nothing in any given time.)
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events")
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    let written_some = async {
        while count().await < 40 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::select! {
        biased;
        () = written_some => {}
        finished = demo::load(&store, now) => panic!("the first load was meant to be cut short: {finished:?}"),
    }
    let partial = count().await;
    assert!(partial >= 40, "the first load wrote part of the demo");
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
        // One query, one snapshot: counted in two, a worker registering between them would
        // let the wait end with its checkpoint still at the start.
        let caught_up: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM projection_checkpoints WHERE position >= $1 AND name NOT LIKE '%@rebuild'",
        )
        .bind(head)
        .fetch_one(store.pool())
        .await
        .unwrap();
        if caught_up == 3 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "read models did not catch up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    token.cancel();
    while tasks.join_next().await.is_some() {}
}

/// Loaded today, the demo's day is yesterday's service, and every figure says so.
#[sqlx::test(migrations = "../../migrations")]
async fn the_demo_day_builds_every_read_model_and_its_pl_matches_the_events(pool: PgPool) {
    the_demo_day_as_of(pool, chrono::Utc::now()).await;
}

/// The same figures when the demo is loaded a year from now: nothing in it is dated on a fixed day.
#[sqlx::test(migrations = "../../migrations")]
async fn the_demo_loaded_a_year_from_now_has_the_same_figures_on_its_own_day(pool: PgPool) {
    the_demo_day_as_of(pool, chrono::Utc::now() + chrono::Duration::days(365)).await;
}

/// Loaded in the evening of the day New York's clocks go forward (already the next day in UTC,
/// and a leap year's February behind it): still one local day, the one before.
#[sqlx::test(migrations = "../../migrations")]
async fn the_demo_loaded_across_a_clock_change_and_a_utc_midnight_keeps_one_local_day(pool: PgPool) {
    use chrono::TimeZone as _;
    let now = chrono::Utc.with_ymd_and_hms(2028, 3, 13, 2, 30, 0).unwrap();
    assert_eq!(
        demo::service_day(now),
        chrono::NaiveDate::from_ymd_opt(2028, 3, 11).unwrap(),
        "local time is the 12th, 22:30; the service was the day before"
    );
    the_demo_day_as_of(pool, now).await;
}

/// Loads the demo as of `now` and checks its day: the read models agree with their rebuilds,
/// and the P&L of exactly the demo's service day (taken from `service_day`, not from the wall
/// clock) matches the figures worked out again from the events.
async fn the_demo_day_as_of(pool: PgPool, now: chrono::DateTime<chrono::Utc>) {
    use brigade_domain::order::OrderEvent;
    use brigade_domain::pnl::Grouping;
    use brigade_domain::stock::StockEvent;
    use brigade_domain::valuation::{ItemValuation, Method};
    use brigade_projections::reports;
    use rust_decimal::Decimal;

    let store = EventStore::new(pool);
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
    // The demo's one day, [day, day + 1) locally, and the instants it starts and ends at.
    let day = demo::service_day(now);
    let (from, to) = (day, day.succ_opt().unwrap());
    let local = |d: chrono::NaiveDate| {
        use chrono::TimeZone as _;
        demo::TIMEZONE
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    assert!(local(to) <= now, "the demo's day is over when it is loaded");
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
    let other: Vec<String> = pl.total.other_expenses.values().map(ToString::to_string).collect();
    assert_eq!(other, ["3200.00", "410.00"], "rent and utilities");
    assert_eq!(pl.periods.len(), 1, "one period: the month of the demo's day");
    // Every delivery was expected on the demo's day.
    let expected: Vec<Option<String>> =
        sqlx::query_scalar("SELECT payload->>'expected_on' FROM events WHERE event_type = 'purchase_order.drafted'")
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert_eq!(expected, vec![Some(day.to_string()); 3]);
    let wastage = reports::stock::wastage(store.pool(), tenant, Method::Fifo, local(from), local(to))
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

#[sqlx::test(migrations = "../../migrations")]
async fn every_demo_role_gets_a_login_once(pool: PgPool) {
    use brigade_api::auth::{password, sessions};
    use brigade_api::demo::logins::{DEMO_PASSWORD, demo_user, ensure};
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
