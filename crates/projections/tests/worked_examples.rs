//! The public examples of read-models.md, reproduced through commands and read back from the read
//! models (fed through the relay and NATS JetStream), to the cent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use brigade_testkit as common;

use brigade_domain::catalog::MenuCategory;
use brigade_domain::expense::ExpenseCategory;
use brigade_domain::menu_engineering::{Level, MenuClass};
use brigade_domain::pnl::Grouping;
use brigade_domain::stock::AdjustmentReason;
use brigade_domain::valuation::Method;
use brigade_projections::reports;
use common::nats::NatsServer;
use common::restaurant::{Restaurant, dec};
use common::{Fanout, TestDb, read_models, wait_caught_up};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flour_is_valued_fifo_and_weighted_average_as_the_spec_says() {
    let db = TestDb::create("flour").await;
    let nats = NatsServer::start().await;
    let fanout = Fanout::start(&db, &nats.url()).await;
    let r = Restaurant::open(&db.store, Restaurant::morning()).await;
    let flour = r.item("Flour", "kg", "50").await;
    let bread = r
        .dish("Bread", MenuCategory::Food, "5.00", "pastry", &[(flour, "1")])
        .await;

    r.stock_kitchen(flour, "100", "1.20").await;
    r.stock_kitchen(flour, "50", "1.50").await;
    r.sell(bread, 120).await;
    let after_first_issue = r.now();
    r.stock_kitchen(flour, "80", "1.40").await;
    r.sell(bread, 70).await;
    r.adjust(flour, "-5", AdjustmentReason::Wastage).await;
    wait_caught_up(db.pool(), &read_models(), WAIT).await;
    let (pool, t) = (db.pool(), r.tenant.0);

    let fifo = reports::stock::valuation(pool, t, Method::Fifo, None).await.unwrap();
    let avco = reports::stock::valuation(pool, t, Method::WeightedAverage, None)
        .await
        .unwrap();
    assert_eq!((fifo.items[0].quantity, fifo.items[0].value), (dec("35"), dec("49.00")));
    assert_eq!(fifo.items[0].unit_cost, Some(dec("1.40")));
    assert_eq!((avco.items[0].quantity, avco.items[0].value), (dec("35"), dec("48.05")));
    assert_eq!(fifo.total, dec("49.00"));

    // As of the moment after the first issue: FIFO 30 @ 1.50; AVCO 30, 39.00.
    let then_fifo = reports::stock::valuation(pool, t, Method::Fifo, Some(after_first_issue))
        .await
        .unwrap();
    let then_avco = reports::stock::valuation(pool, t, Method::WeightedAverage, Some(after_first_issue))
        .await
        .unwrap();
    assert_eq!(
        (then_fifo.items[0].quantity, then_fifo.items[0].value),
        (dec("30"), dec("45.00"))
    );
    assert_eq!(then_avco.items[0].value, dec("39.00"));

    // COGS and wastage through the P&L, both methods.
    let day = Restaurant::morning().date_naive();
    let next = day.succ_opt().unwrap();
    let pl = reports::pnl::statement(pool, t, day, next, Grouping::Day, Method::Fifo)
        .await
        .unwrap();
    assert_eq!(pl.total.food_sales, dec("950.00"));
    assert_eq!(pl.total.food_cost, dec("251.00"));
    assert_eq!(pl.total.wastage, dec("7.00"));
    assert_eq!(pl.total.closed_orders, 2);
    let pl = reports::pnl::statement(pool, t, day, next, Grouping::Day, Method::WeightedAverage)
        .await
        .unwrap();
    assert_eq!(pl.total.food_cost, dec("252.09"));
    assert_eq!(pl.total.wastage, dec("6.86"));

    // The usage and wastage reports agree.
    let (from, to) = (Restaurant::morning(), Restaurant::morning() + chrono::Duration::days(1));
    let usage = reports::stock::usage(pool, t, Method::Fifo, from, to).await.unwrap();
    assert_eq!(
        (usage[0].group.as_str(), usage[0].quantity, usage[0].cost),
        ("kitchen", dec("190"), dec("251.00"))
    );
    let wastage = reports::stock::wastage(pool, t, Method::WeightedAverage, from, to)
        .await
        .unwrap();
    assert_eq!(
        (wastage[0].group.as_str(), wastage[0].quantity, wastage[0].cost),
        ("wastage", dec("5"), dec("6.86"))
    );

    // Levels per department: everything went procurement -> stock -> kitchen.
    let levels = reports::stock::levels(pool, t, None).await.unwrap();
    let kitchen: Vec<_> = levels.iter().filter(|l| l.department == "kitchen").collect();
    assert_eq!(kitchen[0].quantity, dec("35"));
    assert!(
        levels
            .iter()
            .filter(|l| l.department != "kitchen")
            .all(|l| l.quantity.is_zero())
    );
    // 35 kg on hand is below the 50 kg minimum.
    let alerts = reports::stock::alerts(pool, t).await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].minimum_stock, dec("50"));
    fanout.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn menu_engineering_classifies_the_four_items_as_the_spec_says() {
    let db = TestDb::create("menu").await;
    let nats = NatsServer::start().await;
    let fanout = Fanout::start(&db, &nats.url()).await;
    let r = Restaurant::open(&db.store, Restaurant::morning()).await;
    let mut dishes = vec![];
    for (name, sold, price, cost) in [
        ("Burger", 120, "14.00", "4.00"),
        ("Salmon", 40, "24.00", "9.00"),
        ("Salad", 90, "9.00", "2.50"),
        ("Risotto", 10, "12.00", "6.50"),
    ] {
        let kit = r.item(&format!("{name} kit"), "piece", "0").await;
        r.stock_kitchen(kit, &sold.to_string(), cost).await;
        let dish = r.dish(name, MenuCategory::Food, price, "grill", &[(kit, "1")]).await;
        dishes.push((dish, sold));
    }
    for (dish, sold) in &dishes {
        // Sold over several orders, as a real service would.
        let mut left = *sold;
        while left > 0 {
            let portions = left.min(25);
            r.sell(*dish, portions).await;
            left -= portions;
        }
    }
    wait_caught_up(db.pool(), &read_models(), WAIT).await;
    let day = Restaurant::morning().date_naive();
    let report = reports::menu::bcg_matrix(db.pool(), r.tenant.0, day, day.succ_opt().unwrap(), Method::Fifo)
        .await
        .unwrap();
    let food = &report.categories["food"];
    assert_eq!(report.overall, *food);
    assert_eq!(food.total_sold, dec("260"));
    assert_eq!(food.popularity_threshold_pct, dec("17.50"));
    assert_eq!(food.average_cm, dec("9.38"));
    assert_eq!(food.revenue, dec("3570.00"));
    assert_eq!(food.food_cost, dec("1130.00"));
    assert_eq!(food.food_cost_pct, Some(dec("31.65")));
    let expect = [
        (
            "Burger",
            "120",
            "14.00",
            "4.00",
            "10.00",
            "46.15",
            Level::High,
            Level::High,
            MenuClass::Star,
            "star",
        ),
        (
            "Salmon",
            "40",
            "24.00",
            "9.00",
            "15.00",
            "15.38",
            Level::Low,
            Level::High,
            MenuClass::Puzzle,
            "question_mark",
        ),
        (
            "Salad",
            "90",
            "9.00",
            "2.50",
            "6.50",
            "34.62",
            Level::High,
            Level::Low,
            MenuClass::Plowhorse,
            "cash_cow",
        ),
        (
            "Risotto",
            "10",
            "12.00",
            "6.50",
            "5.50",
            "3.85",
            Level::Low,
            Level::Low,
            MenuClass::Dog,
            "dog",
        ),
    ];
    for (name, sold, price, cost, cm, mix, popularity, profitability, class, bcg) in expect {
        let item = food.items.iter().find(|i| i.name == name).expect(name);
        assert_eq!(
            (item.sold, item.price, item.food_cost, item.cm, item.menu_mix_pct),
            (dec(sold), dec(price), dec(cost), dec(cm), dec(mix)),
            "{name}"
        );
        assert_eq!(
            (item.popularity, item.profitability, item.class, item.bcg.as_str()),
            (popularity, profitability, class, bcg),
            "{name}"
        );
    }
    fanout.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kitchen_screens_show_tickets_per_station_with_counts_urgency_and_prep_times() {
    let db = TestDb::create("kitchen").await;
    let nats = NatsServer::start().await;
    let fanout = Fanout::start(&db, &nats.url()).await;
    let r = Restaurant::open(&db.store, Restaurant::morning()).await;
    // Read as the server reads them, keeping the tickets between changes: each read below after a
    // change must see it.
    let screens = reports::kitchen_cache::KitchenScreens::default();
    let steak = r.dish("Steak", MenuCategory::Food, "30.00", "grill", &[]).await;
    let fries = r.dish("Fries", MenuCategory::Food, "5.00", "fryer", &[]).await;
    let beer = r.dish("Lager", MenuCategory::Beverage, "6.00", "bar", &[]).await;

    let first = r.place_and_send(&[(steak, 2), (fries, 1)], None).await;
    let second = r.place_and_send(&[(steak, 1), (beer, 2)], None).await;
    let third = r.place_and_send(&[(fries, 3)], None).await;
    // The third is a rush: it goes before the others.
    r.run::<brigade_domain::order::Order>(third, brigade_domain::order::OrderCommand::SetPriority { rush: true })
        .await;
    wait_caught_up(db.pool(), &read_models(), WAIT).await;
    let now = r.now();

    let grill = kitchen_screen(&screens, db.pool(), r.tenant.0, Some("grill"), now).await;
    assert_eq!(
        grill.tickets.iter().map(|t| t.order_id).collect::<Vec<_>>(),
        vec![first.0, second.0]
    );
    assert!(
        grill
            .tickets
            .iter()
            .all(|t| t.lines.iter().all(|l| l.station.to_string() == "grill"))
    );
    assert_eq!(
        grill
            .all_day
            .iter()
            .map(|a| (a.name.as_str(), a.portions))
            .collect::<Vec<_>>(),
        vec![("Steak", 3)]
    );
    let fryer = kitchen_screen(&screens, db.pool(), r.tenant.0, Some("fryer"), now).await;
    assert_eq!(
        fryer.tickets.iter().map(|t| t.order_id).collect::<Vec<_>>(),
        vec![third.0, first.0]
    );
    let expo = kitchen_screen(&screens, db.pool(), r.tenant.0, None, now).await;
    assert_eq!(expo.tickets.len(), 3);
    assert_eq!(expo.tickets[0].order_id, third.0, "rush first on expo too");
    assert_eq!(
        expo.tickets
            .iter()
            .find(|t| t.order_id == second.0)
            .unwrap()
            .lines
            .len(),
        2
    );

    // Urgency from the default thresholds (5 and 8 minutes after sending).
    let later = kitchen_screen(
        &screens,
        db.pool(),
        r.tenant.0,
        Some("grill"),
        now + chrono::Duration::minutes(9),
    )
    .await;
    assert!(
        later
            .tickets
            .iter()
            .all(|t| t.urgency == reports::kitchen::Urgency::Red)
    );
    assert_eq!(grill.tickets[1].urgency, reports::kitchen::Urgency::Green);

    // The bar sends its drinks up: the ticket leaves the bar's screen, stays on the grill's, and
    // the expo sees the bar done.
    let drinks = expo
        .tickets
        .iter()
        .find(|t| t.order_id == second.0)
        .unwrap()
        .lines
        .iter()
        .find(|l| l.station.to_string() == "bar")
        .unwrap()
        .line_id;
    r.run::<brigade_domain::order::Order>(second, brigade_domain::order::OrderCommand::MarkLineReady(drinks))
        .await;
    wait_caught_up(db.pool(), &read_models(), WAIT).await;
    let bar = kitchen_screen(&screens, db.pool(), r.tenant.0, Some("bar"), r.now()).await;
    assert!(bar.tickets.is_empty(), "{:?}", bar.tickets);
    let grill_now = kitchen_screen(&screens, db.pool(), r.tenant.0, Some("grill"), r.now()).await;
    assert_eq!(grill_now.tickets.len(), 2);
    let expo_now = kitchen_screen(&screens, db.pool(), r.tenant.0, None, r.now()).await;
    let second_on_expo = expo_now.tickets.iter().find(|t| t.order_id == second.0).unwrap();
    assert_eq!(second_on_expo.stations_done, vec!["bar".to_owned()]);
    assert_eq!(second_on_expo.lines.len(), 2);

    // Completing the first ticket takes it off the screens into "recently completed", with a prep time.
    r.run::<brigade_domain::order::Order>(first, brigade_domain::order::OrderCommand::StartTicket)
        .await;
    r.run::<brigade_domain::order::Order>(first, brigade_domain::order::OrderCommand::CompleteTicket)
        .await;
    wait_caught_up(db.pool(), &read_models(), WAIT).await;
    let grill = kitchen_screen(&screens, db.pool(), r.tenant.0, Some("grill"), r.now()).await;
    assert_eq!(grill.tickets.len(), 1);
    assert_eq!(grill.recently_completed[0].order_id, first.0);
    assert!(grill.average_prep_seconds["grill"] > 0.0);
    // And a recall brings it back.
    r.run::<brigade_domain::order::Order>(first, brigade_domain::order::OrderCommand::RecallTicket)
        .await;
    wait_caught_up(db.pool(), &read_models(), WAIT).await;
    let grill = kitchen_screen(&screens, db.pool(), r.tenant.0, Some("grill"), r.now()).await;
    assert_eq!(grill.tickets.len(), 2);

    // The change feed has every visible change, for the stations concerned, in order.
    let changes = reports::kitchen::changes_since(db.pool(), r.tenant.0, Some("fryer"), Default::default(), 100)
        .await
        .unwrap();
    let kinds: Vec<&str> = changes.iter().map(|c| c.change.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["sent", "sent", "priority", "started", "completed", "recalled"]
    );
    let resumed = reports::kitchen::changes_since(db.pool(), r.tenant.0, Some("fryer"), changes[2].id, 100)
        .await
        .unwrap();
    assert_eq!(resumed.len(), 3);

    // The screens' version counts every event applied to the organization's tickets, as each
    // ticket counts its own (what migration 0010 filled it with for the tickets already there).
    let (counted, in_tickets): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT events FROM kitchen_queue.tenants WHERE tenant_id = $1), \
                (SELECT sum((doc->>'events')::bigint)::bigint FROM kitchen_queue.tickets WHERE tenant_id = $1)",
    )
    .bind(r.tenant.0)
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(counted, in_tickets);
    fanout.stop().await;
}

/// A kitchen screen through the server's cache, checked against one read from the tables.
async fn kitchen_screen(
    screens: &reports::kitchen_cache::KitchenScreens,
    pool: &sqlx::PgPool,
    tenant: uuid::Uuid,
    station: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> reports::kitchen::KitchenScreen {
    let kept = screens.screen(pool, tenant, station, now).await.unwrap();
    let read = reports::kitchen::screen(pool, tenant, station, now).await.unwrap();
    assert_eq!(
        kept.screen, read,
        "the kept tickets are the tables' ({station:?} at {now})"
    );
    let json: serde_json::Value = serde_json::from_slice(&kept.json).unwrap();
    assert_eq!(
        json,
        serde_json::to_value(&read).unwrap(),
        "the kept JSON is the screen's"
    );
    kept.screen.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_and_the_pl_layout_add_up() {
    let db = TestDb::create("pl").await;
    let nats = NatsServer::start().await;
    let fanout = Fanout::start(&db, &nats.url()).await;
    let r = Restaurant::open(&db.store, Restaurant::morning()).await;
    let beans = r.item("Beans", "kg", "0").await;
    r.stock_kitchen(beans, "10", "2.00").await;
    let stew = r
        .dish("Stew", MenuCategory::Food, "12.50", "saute", &[(beans, "0.5")])
        .await;
    let wine = r.dish("Wine", MenuCategory::Beverage, "8.00", "bar", &[]).await;
    let ada = r.customer("Ada").await;
    let order = r.place_and_send(&[(stew, 2), (wine, 1)], Some(ada)).await;
    r.finish(order).await;
    let day = Restaurant::morning().date_naive();
    r.expense(ExpenseCategory::Labor, "10.00", day).await;
    r.expense(ExpenseCategory::Rent, "5.00", day).await;
    wait_caught_up(db.pool(), &read_models(), WAIT).await;

    let pl = reports::pnl::statement(
        db.pool(),
        r.tenant.0,
        day,
        day.succ_opt().unwrap(),
        Grouping::Month,
        Method::Fifo,
    )
    .await
    .unwrap();
    let s = &pl.total;
    assert_eq!(
        (s.food_sales, s.beverage_sales, s.net_sales),
        (dec("25.00"), dec("8.00"), dec("33.00"))
    );
    assert_eq!(
        (s.food_cost, s.beverage_cost, s.cost_of_sales),
        (dec("2.00"), dec("0.00"), dec("2.00"))
    );
    assert_eq!(
        (s.gross_profit, s.labor, s.prime_cost),
        (dec("31.00"), dec("10.00"), dec("12.00"))
    );
    assert_eq!(s.net_profit, dec("16.00"));
    assert_eq!(s.ratios.food_cost_pct, Some(dec("8.00")));
    assert_eq!(s.ratios.beverage_cost_pct, Some(dec("0.00")));
    assert_eq!(s.average_ticket, Some(dec("33.00")));
    assert_eq!(s.covers, 2);
    assert_eq!(pl.periods.len(), 1);
    assert_eq!(pl.periods[0].period, day.with_day(1).unwrap());

    let (count, spent, points): (i64, rust_decimal::Decimal, rust_decimal::Decimal) = sqlx::query_as(
        "SELECT order_count, total_spent, loyalty_points FROM sales.customers WHERE tenant_id = $1 AND customer_id = $2",
    )
    .bind(r.tenant.0)
    .bind(ada.0)
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!((count, spent, points), (1, dec("33.00"), dec("33")));
    fanout.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pl_groups_by_local_day_week_and_month_and_keeps_tenants_apart() {
    let db = TestDb::create("periods").await;
    let nats = NatsServer::start().await;
    let fanout = Fanout::start(&db, &nats.url()).await;
    // 03:30 UTC on Saturday 21 November is still Friday the 20th in New York.
    let start = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 21, 3, 30, 0).unwrap();
    let r = Restaurant::open(&db.store, start).await;
    r.set_timezone("America/New_York").await;
    let soup = r.dish("Soup", MenuCategory::Food, "10.00", "saute", &[]).await;
    r.sell(soup, 1).await; // Fri 20th local
    r.advance(48);
    r.sell(soup, 2).await; // Sun 22nd local: same week (Monday 16th)
    r.advance(48);
    r.sell(soup, 4).await; // Tue 24th local: next week (Monday 23rd)
    // Another restaurant in the same database sells on the same days.
    let other = Restaurant::open(&db.store, start).await;
    let other_soup = other.dish("Soup", MenuCategory::Food, "99.00", "saute", &[]).await;
    other.sell(other_soup, 5).await;
    wait_caught_up(db.pool(), &read_models(), WAIT).await;

    let date = |d| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let (from, to) = (date(1), date(30));
    let sales = |grouping| {
        let pool = db.pool().clone();
        let tenant = r.tenant.0;
        async move {
            let pl = reports::pnl::statement(&pool, tenant, from, to, grouping, Method::Fifo)
                .await
                .unwrap();
            (
                pl.periods
                    .iter()
                    .map(|p| (p.period, p.statement.food_sales))
                    .collect::<Vec<_>>(),
                pl.total.food_sales,
            )
        }
    };
    let (days, total) = sales(Grouping::Day).await;
    assert_eq!(
        days,
        vec![
            (date(20), dec("10.00")),
            (date(22), dec("20.00")),
            (date(24), dec("40.00"))
        ]
    );
    assert_eq!(total, dec("70.00"), "the other restaurant's 495.00 is not in it");
    let (weeks, _) = sales(Grouping::Week).await;
    assert_eq!(weeks, vec![(date(16), dec("30.00")), (date(23), dec("40.00"))]);
    let (months, _) = sales(Grouping::Month).await;
    assert_eq!(months, vec![(date(1), dec("70.00"))]);
    // The range is in local days: [20th, 21st) holds only Friday's order.
    let pl = reports::pnl::statement(db.pool(), r.tenant.0, date(20), date(21), Grouping::Day, Method::Fifo)
        .await
        .unwrap();
    assert_eq!(pl.total.food_sales, dec("10.00"));
    assert_eq!(pl.timezone, "America/New_York");
    // Nor does the other tenant see this one's kitchen or menu.
    let menu = reports::menu::bcg_matrix(db.pool(), other.tenant.0, from, to, Method::Fifo)
        .await
        .unwrap();
    assert_eq!(menu.overall.total_sold, dec("5"));
    assert_eq!(menu.overall.revenue, dec("495.00"));
    fanout.stop().await;
}

use chrono::Datelike as _;
