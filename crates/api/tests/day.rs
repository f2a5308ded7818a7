//! A whole restaurant day through HTTP alone, with the fan-out and workers running: an
//! organization bootstrapped, its staff added and logged in; a supplier and a purchase order
//! raised by the buyer, approved by the manager (not by the buyer), received in two deliveries at
//! their actual costs; stock moved procurement -> stock -> kitchen and bar, each transfer
//! validated by the receiving side; orders placed, cooked across stations, served, paid with
//! split payments; one refund, one cancellation after sending, one spoilage, expenses. Then the
//! P&L, the valuation (both methods) and menu engineering are checked to the cent against figures
//! worked out by hand below, and a second organization probes every resource of the first.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use brigade_api::auth::tokens::Keys;
use brigade_api::http::{AppState, Config};
use brigade_testkit::{dec, dec_of};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::PgPool;
use support::common::nats::NatsServer;
use support::common::{Fanout, TestDb};
use support::{Api, Server};

const PASSWORD: &str = "a long test password";

/// The line ids of an order, by menu item name.
fn lines_of(order: &Value, name: &str) -> Vec<String> {
    order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["name"] == name)
        .map(|l| l["line_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_restaurant_day_through_http_checked_to_the_cent() {
    let db = TestDb::create("day_http").await;
    let nats = NatsServer::start().await;
    let fanout = Fanout::start(&db, &nats.url()).await;
    let config = Config {
        bootstrap_secret: Some("second organizations need this".into()),
        rate_per_second: 10_000,
        rate_burst: 10_000,
        ..Config::default()
    };
    let server = Server::start(AppState::new(db.store.clone(), None, Keys::random(), config)).await;
    let api = Api::new(&server.base);
    let mut day = Day::default();
    open_the_restaurant(&api, &mut day).await;
    stock_the_catalog(&api, &mut day).await;
    buy_and_receive(&api, &mut day).await;
    move_the_stock(&api, &mut day).await;
    serve_the_orders(&api, &mut day).await;
    spoil_and_spend(&api, &mut day).await;
    close_the_books(&api, &mut day).await;
    a_second_organization_sees_nothing(&api, &mut day, db.store.pool()).await;
    server.stop().await;
    fanout.stop().await;
}

/// What the day's steps leave for the ones after them: the organization, its staff's tokens,
/// and the ids of what they created.
#[derive(Default)]
struct Day {
    org_id: String,
    owner: String,
    maria: String,
    bob: String,
    sam: String,
    chloe: String,
    paul: String,
    alice: String,
    beef: String,
    bun: String,
    lager: String,
    burger: String,
    salad: String,
    beer: String,
    supplier: String,
    po: String,
    po_path: String,
    to_stock: String,
    to_bar: String,
    o1: String,
    o4: String,
    payment_id: String,
    today: chrono::NaiveDate,
}

/// The organization and its first administrator, then the staff, each logged in.
async fn open_the_restaurant(api: &Api, day: &mut Day) {
    let settings = json!({"currency": "USD", "tax_rate": "10", "timezone": "UTC", "kitchen_amber_after_secs": 300,
        "kitchen_red_after_secs": 480, "discount_limit": "10", "loyalty_points_per_unit": "1"});
    let (status, org) = api
        .send(
            "POST",
            "/api/v1/organizations",
            None,
            Some(json!({"name": "Chez Test", "settings": settings,
                "admin": {"username": "owner", "display_name": "Owner", "password": PASSWORD}})),
            None,
        )
        .await;
    assert_eq!(status, 201, "{org}");
    let org_id = org["id"].as_str().unwrap().to_owned();
    let owner = api.login("owner", PASSWORD).await;
    let staff = [
        ("maria", "manager"),
        ("bob", "procurement_manager"),
        ("sam", "stock_controller"),
        ("chloe", "kitchen_staff"),
        ("paul", "pos_operator"),
        ("alice", "accountant"),
    ];
    for (name, role) in staff {
        api.ok(
            "POST",
            &format!("/api/v1/organizations/{org_id}/users"),
            &owner,
            json!({"username": name, "display_name": name, "password": PASSWORD, "roles": [role]}),
        )
        .await;
    }
    let maria = api.login("maria", PASSWORD).await;
    let bob = api.login("bob", PASSWORD).await;
    let sam = api.login("sam", PASSWORD).await;
    let chloe = api.login("chloe", PASSWORD).await;
    let paul = api.login("paul", PASSWORD).await;
    let alice = api.login("alice", PASSWORD).await;
    day.org_id = org_id;
    day.owner = owner;
    day.maria = maria;
    day.bob = bob;
    day.sam = sam;
    day.chloe = chloe;
    day.paul = paul;
    day.alice = alice;
}

/// The catalog: three inventory items, and three dishes with their recipes.
async fn stock_the_catalog(api: &Api, day: &mut Day) {
    let (maria, sam) = (day.maria.clone(), day.sam.clone());
    let item = |sku: &str, name: &str, unit: &str, category: &str| json!({"sku": sku, "name": name, "unit": unit, "category": category, "minimum_stock": "1"});
    let beef = api
        .created(
            "/api/v1/stock/inventory",
            &sam,
            item("BEEF", "Beef patty mix", "kg", "food"),
        )
        .await;
    let bun = api
        .created(
            "/api/v1/stock/inventory",
            &sam,
            item("BUN", "Brioche bun", "piece", "food"),
        )
        .await;
    let lager = api
        .created("/api/v1/stock/inventory", &sam, item("LAGER", "Lager", "l", "beverage"))
        .await;
    let dish = |name: &str, category: &str, price: &str, station: &str, recipe: Value| json!({"name": name, "category": category, "sell_price": price, "station": station, "recipe": recipe});
    let burger = api
        .created(
            "/api/v1/menu/items",
            &maria,
            dish(
                "Burger",
                "food",
                "15.00",
                "grill",
                json!([{"inventory_item_id": beef, "quantity": "0.2"}, {"inventory_item_id": bun, "quantity": "1"}]),
            ),
        )
        .await;
    let salad = api
        .created(
            "/api/v1/menu/items",
            &maria,
            dish("Salad", "food", "9.00", "cold", json!([])),
        )
        .await;
    let beer = api
        .created(
            "/api/v1/menu/items",
            &maria,
            dish(
                "Beer",
                "beverage",
                "6.00",
                "bar",
                json!([{"inventory_item_id": lager, "quantity": "0.5"}]),
            ),
        )
        .await;
    day.beef = beef;
    day.bun = bun;
    day.lager = lager;
    day.burger = burger;
    day.salad = salad;
    day.beer = beer;
}

/// Procurement: the buyer raises, the manager approves (the buyer may not approve his own), two deliveries at their actual costs.
async fn buy_and_receive(api: &Api, day: &mut Day) {
    let (maria, bob, sam, beef, bun, lager) = (
        day.maria.clone(),
        day.bob.clone(),
        day.sam.clone(),
        day.beef.clone(),
        day.bun.clone(),
        day.lager.clone(),
    );
    // Procurement: the buyer raises, the manager approves (the buyer may not approve his own).
    let supplier = api
        .created(
            "/api/v1/procurement/suppliers",
            &bob,
            json!({"name": "Greenfield", "contact": "orders@greenfield.example", "payment_terms": "net 14"}),
        )
        .await;
    let po = api
        .created(
            "/api/v1/procurement/purchase-orders",
            &bob,
            json!({"supplier_id": supplier, "lines": [
                {"inventory_item_id": beef, "quantity": "10", "unit_price": "8.00"},
                {"inventory_item_id": bun, "quantity": "40", "unit_price": "0.50"},
                {"inventory_item_id": lager, "quantity": "30", "unit_price": "2.00"}]}),
        )
        .await;
    let po_path = format!("/api/v1/procurement/purchase-orders/{po}");
    api.ok("POST", &format!("{po_path}/submit"), &bob, json!({})).await;
    let (status, refused) = api
        .send("POST", &format!("{po_path}/approve"), Some(&bob), None, None)
        .await;
    assert_eq!(status, 403, "the buyer approving his own order: {refused}");
    api.ok("POST", &format!("{po_path}/approve"), &maria, json!({})).await;
    api.ok(
        "POST",
        &format!("{po_path}/receive"),
        &sam,
        json!({"lines": [{"inventory_item_id": beef, "quantity": "4", "unit_cost": "8.00"},
                         {"inventory_item_id": bun, "quantity": "40", "unit_cost": "0.50"},
                         {"inventory_item_id": lager, "quantity": "30", "unit_cost": "2.00"}]}),
    )
    .await;
    // The second delivery costs more than agreed.
    api.ok(
        "POST",
        &format!("{po_path}/receive"),
        &sam,
        json!({"lines": [{"inventory_item_id": beef, "quantity": "6", "unit_cost": "9.00"}]}),
    )
    .await;
    api.ok("POST", &format!("{po_path}/close"), &bob, json!({})).await;
    let closed_po = api.get(&po_path, &bob).await;
    assert_eq!(closed_po["status"], "closed", "{closed_po}");
    day.supplier = supplier;
    day.po = po;
    day.po_path = po_path;
}

/// Transfers, each validated by the receiving side; the bar takes less than it asked for.
async fn move_the_stock(api: &Api, day: &mut Day) {
    let (sam, chloe, beef, bun, lager) = (
        day.sam.clone(),
        day.chloe.clone(),
        day.beef.clone(),
        day.bun.clone(),
        day.lager.clone(),
    );
    let transfer = |from: &str, to: &str, lines: Value| json!({"from": from, "to": to, "lines": lines});
    let line = |item: &str, q: &str| json!({"inventory_item_id": item, "quantity": q});
    let to_stock = api
        .created(
            "/api/v1/stock/transfers",
            &sam,
            transfer(
                "procurement",
                "stock",
                json!([line(&beef, "10"), line(&bun, "40"), line(&lager, "30")]),
            ),
        )
        .await;
    api.ok(
        "POST",
        &format!("/api/v1/stock/transfers/{to_stock}/validate"),
        &sam,
        json!({"lines": [line(&beef, "10"), line(&bun, "40"), line(&lager, "30")]}),
    )
    .await;
    let to_kitchen = api
        .created(
            "/api/v1/stock/transfers",
            &chloe,
            transfer("stock", "kitchen", json!([line(&beef, "5"), line(&bun, "20")])),
        )
        .await;
    let (status, refused) = api
        .send(
            "POST",
            &format!("/api/v1/stock/transfers/{to_kitchen}/validate"),
            Some(&sam),
            Some(json!({"lines": [line(&beef, "5"), line(&bun, "20")]})),
            None,
        )
        .await;
    assert_eq!(
        status, 403,
        "the stock side validating the kitchen's receipt: {refused}"
    );
    api.ok(
        "POST",
        &format!("/api/v1/stock/transfers/{to_kitchen}/validate"),
        &chloe,
        json!({"lines": [line(&beef, "5"), line(&bun, "20")]}),
    )
    .await;
    // The bar asked for 24 l and took 20: a discrepancy on record.
    let to_bar = api
        .created(
            "/api/v1/stock/transfers",
            &chloe,
            transfer("stock", "bar", json!([line(&lager, "24")])),
        )
        .await;
    api.ok(
        "POST",
        &format!("/api/v1/stock/transfers/{to_bar}/validate"),
        &chloe,
        json!({"lines": [line(&lager, "20")]}),
    )
    .await;
    let bar_transfer = api.get(&format!("/api/v1/stock/transfers/{to_bar}"), &chloe).await;
    assert_eq!(bar_transfer["status"], "validated", "{bar_transfer}");
    let validation = &bar_transfer["validation"];
    assert_eq!(
        (
            &validation["lines"][0]["requested"],
            &validation["lines"][0]["validated"],
            &validation["lines"][0]["discrepancy"]
        ),
        (&json!("24"), &json!("20"), &json!("4")),
        "{bar_transfer}"
    );
    assert!(
        validation["by"].is_string() && validation["at"].is_string(),
        "{bar_transfer}"
    );
    let levels = api.get("/api/v1/stock/levels?department=kitchen", &chloe).await;
    let kitchen_beef = levels["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["item_id"] == beef.as_str())
        .unwrap()
        .clone();
    assert_eq!(dec_of(&kitchen_beef["quantity"]), dec("5"), "{levels}");
    day.to_stock = to_stock;
    day.to_bar = to_bar;
}

/// Four orders through the till, the kitchen and the payments: a split payment, a discount and a refund, a cancellation after sending, a line removed before it.
async fn serve_the_orders(api: &Api, day: &mut Day) {
    let (maria, chloe, paul, burger, salad, beer) = (
        day.maria.clone(),
        day.chloe.clone(),
        day.paul.clone(),
        day.burger.clone(),
        day.salad.clone(),
        day.beer.clone(),
    );
    // Orders. O1: two burgers and two beers for table 1, across the grill and the bar.
    let order_line = |item: &str, q: u32| json!({"menu_item_id": item, "quantity": q});
    let o1 = api
        .created(
            "/api/v1/pos/orders",
            &paul,
            json!({"order_type": "dine_in", "table": 1, "covers": 2,
                   "lines": [order_line(&burger, 2), order_line(&beer, 2)]}),
        )
        .await;
    api.ok(
        "POST",
        &format!("/api/v1/pos/orders/{o1}/send-to-kitchen"),
        &paul,
        json!({}),
    )
    .await;
    let grill = api.get("/api/v1/kitchen/orders?station=grill", &chloe).await;
    let ticket = grill["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["order_id"] == o1.as_str())
        .unwrap_or_else(|| panic!("o1 on the grill screen: {grill}"))
        .clone();
    assert_eq!(
        ticket["lines"].as_array().unwrap().len(),
        1,
        "only the grill's line: {ticket}"
    );
    let bar = api.get("/api/v1/kitchen/orders?station=bar", &chloe).await;
    assert!(
        bar.to_string().contains("Beer") && !bar.to_string().contains("Burger"),
        "{bar}"
    );

    let (status, _) = api
        .send("GET", &format!("/api/v1/pos/orders/{o1}"), Some(&chloe), None, None)
        .await;
    assert_eq!(status, 403, "a cook does not read the POS's orders");
    cook(api, &chloe, &o1).await;
    let status_now = api.get(&format!("/api/v1/pos/orders/{o1}/kitchen-status"), &paul).await;
    assert_eq!(status_now["status"], "ready", "{status_now}");
    let grill = api.get("/api/v1/kitchen/orders?station=grill", &chloe).await;
    assert!(
        !grill["tickets"].to_string().contains(&o1),
        "o1 left the grill: {grill}"
    );
    api.ok("POST", &format!("/api/v1/pos/orders/{o1}/serve"), &paul, json!({}))
        .await;
    // Split: 30.00 by card with a 5.00 tip, the rest (46.20 - 30.00) in cash.
    let pay = |order: &str, method: &str, amount: &str, tip: &str| json!({"order_id": order, "method": method, "amount": amount, "tip": tip});
    api.ok(
        "POST",
        "/api/v1/pos/payments/process",
        &paul,
        pay(&o1, "card", "30.00", "5.00"),
    )
    .await;
    let (status, over) = api
        .send(
            "POST",
            "/api/v1/pos/payments/process",
            Some(&paul),
            Some(pay(&o1, "cash", "16.21", "0")),
            Some("o1-cash-too-much"),
        )
        .await;
    assert_eq!(status, 409, "one cent beyond the balance: {over}");
    api.ok(
        "POST",
        "/api/v1/pos/payments/process",
        &paul,
        pay(&o1, "cash", "16.20", "0"),
    )
    .await;
    let receipt = api.get(&format!("/api/v1/pos/orders/{o1}/receipt"), &paul).await;
    assert_eq!(receipt["closed"], true, "{receipt}");
    assert_eq!(dec_of(&receipt["totals"]["total"]), dec("46.20"), "{receipt}");
    assert_eq!(dec_of(&receipt["totals"]["tips"]), dec("5.00"), "{receipt}");
    // Money is a string in cents everywhere, a payment's refunds before any too.
    assert_eq!(receipt["payments"][0]["refunded"], "0.00", "{receipt}");

    // O2: a burger and a salad, 10 % off (the cashier's limit), paid by card with a tip, then
    // 5.00 refunded by the manager.
    let o2 = api
        .created(
            "/api/v1/pos/orders",
            &paul,
            json!({"order_type": "dine_in", "table": 2, "covers": 1,
                   "lines": [order_line(&burger, 1), order_line(&salad, 1)]}),
        )
        .await;
    let (status, refused) = api
        .send(
            "POST",
            &format!("/api/v1/pos/orders/{o2}/discounts"),
            Some(&paul),
            Some(json!({"kind": "percent", "value": "15"})),
            None,
        )
        .await;
    assert_eq!(status, 403, "15 % is over the cashier's limit: {refused}");
    api.ok(
        "POST",
        &format!("/api/v1/pos/orders/{o2}/discounts"),
        &paul,
        json!({"kind": "percent", "value": "10", "reason": "regular"}),
    )
    .await;
    api.ok(
        "POST",
        &format!("/api/v1/pos/orders/{o2}/send-to-kitchen"),
        &paul,
        json!({}),
    )
    .await;
    cook(api, &chloe, &o2).await;
    api.ok("POST", &format!("/api/v1/pos/orders/{o2}/serve"), &paul, json!({}))
        .await;
    let card = api
        .ok(
            "POST",
            "/api/v1/pos/payments/process",
            &paul,
            pay(&o2, "card", "23.76", "3.00"),
        )
        .await;
    let payment_id = card["id"].as_str().unwrap().to_owned();
    api.get("/api/v1/pos/orders?status=closed", &paul).await;
    let refund = json!({"payment_id": payment_id, "amount": "5.00", "reason": "cold fries"});
    let (status, _) = api
        .send(
            "POST",
            "/api/v1/pos/payments/refund",
            Some(&paul),
            Some(refund.clone()),
            Some("r1"),
        )
        .await;
    assert_eq!(status, 403, "refunds are the manager's");
    api.ok("POST", "/api/v1/pos/payments/refund", &maria, refund).await;

    // O3: a takeout burger, sent, then cancelled: by the manager only; its ingredients are waste.
    let o3 = api
        .created(
            "/api/v1/pos/orders",
            &paul,
            json!({"order_type": "takeout", "lines": [order_line(&burger, 1)]}),
        )
        .await;
    api.ok(
        "POST",
        &format!("/api/v1/pos/orders/{o3}/send-to-kitchen"),
        &paul,
        json!({}),
    )
    .await;
    // The order list spells an unpaid order's money in cents, as the order itself does.
    let open = api.get("/api/v1/pos/orders?status=open", &paul).await;
    let listed = open["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == o3.as_str())
        .unwrap();
    for figure in ["food_sales", "discount", "tax", "tips", "paid", "refunded"] {
        assert_eq!(listed[figure], "0.00", "{figure}: {listed}");
    }
    let (status, _) = api
        .send(
            "POST",
            &format!("/api/v1/pos/orders/{o3}/cancel"),
            Some(&paul),
            None,
            None,
        )
        .await;
    assert_eq!(status, 403, "a cashier cannot cancel what the kitchen has");
    api.ok(
        "POST",
        &format!("/api/v1/pos/orders/{o3}/cancel"),
        &maria,
        json!({"reason": "guest left"}),
    )
    .await;

    // O4: a salad and a beer; the beer is taken off before sending.
    let o4 = api
        .created(
            "/api/v1/pos/orders",
            &paul,
            json!({"order_type": "dine_in", "table": 3, "covers": 1,
                   "lines": [order_line(&salad, 1), order_line(&beer, 1)]}),
        )
        .await;
    let o4_now = api.get(&format!("/api/v1/pos/orders/{o4}"), &paul).await;
    let beer_line = lines_of(&o4_now, "Beer").remove(0);
    api.ok(
        "DELETE",
        &format!("/api/v1/pos/orders/{o4}/items/{beer_line}"),
        &paul,
        Value::Null,
    )
    .await;
    api.ok(
        "POST",
        &format!("/api/v1/pos/orders/{o4}/send-to-kitchen"),
        &paul,
        json!({}),
    )
    .await;
    cook(api, &chloe, &o4).await;
    api.ok("POST", &format!("/api/v1/pos/orders/{o4}/serve"), &paul, json!({}))
        .await;
    api.ok(
        "POST",
        "/api/v1/pos/payments/process",
        &paul,
        pay(&o4, "cash", "9.90", "0"),
    )
    .await;
    day.o1 = o1;
    day.o4 = o4;
    day.payment_id = payment_id;
}

/// Half a kilo of beef spoiled in the kitchen, read back valued; the day's expenses.
async fn spoil_and_spend(api: &Api, day: &mut Day) {
    let (sam, alice, beef) = (day.sam.clone(), day.alice.clone(), day.beef.clone());
    let spoiled = api
        .created(
            "/api/v1/stock/adjustments",
            &sam,
            json!({"inventory_item_id": beef, "department": "kitchen", "quantity": "-0.5", "reason": "spoilage"}),
        )
        .await;
    assert_ne!(spoiled, beef, "an adjustment answers with its own id");
    // Read back, valued: 0.5 kg from the first layer at 8.00.
    let adjustment = api.get(&format!("/api/v1/stock/adjustments/{spoiled}"), &sam).await;
    assert_eq!(
        (
            &adjustment["inventory_item_id"],
            &adjustment["quantity"],
            &adjustment["reason"]
        ),
        (&json!(beef), &json!("-0.5"), &json!("spoilage")),
        "{adjustment}"
    );
    assert_eq!(adjustment["cost_fifo"], "4.00", "{adjustment}");
    let (status, _) = api
        .send(
            "GET",
            &format!("/api/v1/stock/adjustments/{beef}"),
            Some(&sam),
            None,
            None,
        )
        .await;
    assert_eq!(status, 404, "an item's id is not an adjustment's");
    let today = chrono::Utc::now().date_naive();
    for (category, amount) in [("labor", "120.00"), ("utilities", "30.00")] {
        api.ok(
            "POST",
            "/api/v1/accounting/expenses",
            &alice,
            json!({"category": category, "amount": amount, "date": today}),
        )
        .await;
    }
    day.today = today;
}

/// The P&L, the stock and its value, wastage and menu engineering, each against figures worked out by hand.
async fn close_the_books(api: &Api, day: &mut Day) {
    let (sam, paul, alice, beef, today) = (
        day.sam.clone(),
        day.paul.clone(),
        day.alice.clone(),
        day.beef.clone(),
        day.today,
    );
    // The figures, worked out by hand. Beef: layers 4 @ 8.00 then 6 @ 9.00 (average 8.60); the
    // day issues 0.4 (o1) + 0.2 (o2) + 0.2 (o3, wasted) + 0.5 (spoiled) = 1.3 kg, all from the
    // first layer under FIFO. Buns 0.50 each; lager 2.00 a litre.
    //   sales: food 30.00 + 24.00 + 9.00 = 63.00; beverage 12.00; discount 2.40; refund 5.00
    //   net sales 63.00 + 12.00 - 2.40 - 5.00 = 67.60
    //   food cost (FIFO): o1 0.4 x 8 + 2 x 0.50 = 4.20; o2 0.2 x 8 + 0.50 = 2.10 -> 6.30
    //   beverage cost: o1 1.0 l x 2.00 = 2.00; cost of sales 8.30; gross profit 59.30
    //   wastage (FIFO): o3 0.2 x 8 + 0.50 = 2.10; spoilage 0.5 x 8 = 4.00 -> 6.10
    //   net profit 59.30 - 6.10 - 120.00 - 30.00 = -96.80; 3 closed orders, 4 covers
    //   food cost (AVCO): 0.6 x 8.60 + 3 x 0.50 = 6.66
    let (from, to) = (today.pred_opt().unwrap(), today.succ_opt().unwrap().succ_opt().unwrap());
    let pl = api
        .get(
            &format!("/api/v1/accounting/reports/pl-statement?from={from}&to={to}&group_by=month"),
            &alice,
        )
        .await;
    let total = &pl["total"];
    for (field, expected) in [
        ("food_sales", "63.00"),
        ("beverage_sales", "12.00"),
        ("discounts", "2.40"),
        ("refunds", "5.00"),
        ("net_sales", "67.60"),
        ("food_cost", "6.30"),
        ("beverage_cost", "2.00"),
        ("cost_of_sales", "8.30"),
        ("gross_profit", "59.30"),
        ("wastage", "6.10"),
        ("labor", "120.00"),
        ("net_profit", "-96.80"),
        ("average_ticket", "22.53"),
    ] {
        assert_eq!(dec_of(&total[field]), dec(expected), "P&L {field}: {total}");
    }
    assert_eq!(total["closed_orders"], 3, "{total}");
    assert_eq!(total["covers"], 4, "{total}");
    assert_eq!(dec_of(&total["ratios"]["food_cost_pct"]), dec("10.00"), "{total}");
    // Cost of sales against food and beverage sales: 8.30 / 75.00.
    assert_eq!(dec_of(&total["ratios"]["cost_of_sales_pct"]), dec("11.07"), "{total}");
    // Each period is an object with its first day beside its figures; together they are the total.
    let periods = pl["periods"].as_array().unwrap();
    assert!(!periods.is_empty(), "{pl}");
    let mut summed = Decimal::ZERO;
    for period in periods {
        assert!(
            period["period"].as_str().unwrap().ends_with("-01"),
            "a month's first day: {period}"
        );
        summed += dec_of(&period["net_sales"]);
    }
    assert_eq!(summed, dec_of(&total["net_sales"]), "{pl}");
    let avco = api
        .get(
            &format!("/api/v1/accounting/reports/pl-statement?from={from}&to={to}&method=weighted_average"),
            &alice,
        )
        .await;
    assert_eq!(dec_of(&avco["total"]["food_cost"]), dec("6.66"), "{avco}");

    // The beef's figures are decimal strings: its quantity in its own precision, its values in
    // cents (the day issued 1.3 kg of 10, all from the first layer at 8.00: 2.7 kg at 8.00 and
    // 6 kg at 9.00 remain; the average cost is 8.60).
    let beef_now = api.get(&format!("/api/v1/stock/inventory/{beef}"), &sam).await;
    assert_eq!(beef_now["quantity"], "8.7", "{beef_now}");
    assert_eq!(beef_now["value_fifo"], "75.60", "{beef_now}");
    assert_eq!(beef_now["value_weighted_average"], "74.82", "{beef_now}");
    let listed = api.get("/api/v1/stock/inventory", &sam).await;
    let beef_listed = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == beef)
        .unwrap();
    assert_eq!(beef_listed["value_fifo"], "75.60", "{beef_listed}");
    let regular = api
        .created(
            "/api/v1/pos/customers",
            &paul,
            json!({"name": "Ada", "email": "ada@example.com"}),
        )
        .await;
    let ada = api.get(&format!("/api/v1/pos/customers/{regular}"), &paul).await;
    assert_eq!(ada["total_spent"], "0.00", "{ada}");
    let ratio = api
        .get(
            &format!("/api/v1/accounting/food-cost-ratio?from={from}&to={to}"),
            &alice,
        )
        .await;
    assert_eq!(dec_of(&ratio["food_cost"]), dec("6.30"), "{ratio}");
    assert_eq!(dec_of(&ratio["combined_cost_pct"]), dec("11.07"), "{ratio}");

    // Goods in beside goods used: two deliveries, 4 x 8.00 + 40 x 0.50 + 30 x 2.00, then 6 x 9.00.
    let usage = api
        .get(&format!("/api/v1/stock/reports/usage?from={from}&to={to}"), &alice)
        .await;
    assert_eq!(dec_of(&usage["received_value"]), dec("166.00"), "{usage}");
    let used: Decimal = usage["usage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| dec_of(&u["cost"]))
        .sum();
    assert_eq!(dec_of(&usage["used_value"]), used, "{usage}");

    // Valuation. FIFO: beef 2.7 x 8 + 6 x 9 = 75.60, buns 36 x 0.50 = 18.00, lager 29 x 2 = 58.00
    // -> 151.60. AVCO: beef 8.7 x 8.60 = 74.82 -> 150.82.
    let fifo = api.get("/api/v1/stock/reports/valuation?method=fifo", &alice).await;
    assert_eq!(dec_of(&fifo["total"]), dec("151.60"), "{fifo}");
    let average = api
        .get("/api/v1/stock/reports/valuation?method=weighted_average", &alice)
        .await;
    assert_eq!(dec_of(&average["total"]), dec("150.82"), "{average}");

    // Wastage by reason: the cancelled order's 2.10 and the spoilage's 4.00.
    let waste = api
        .get(
            &format!("/api/v1/accounting/reports/wastage?from={from}&to={to}"),
            &alice,
        )
        .await;
    assert_eq!(dec_of(&waste["total"]), dec("6.10"), "{waste}");

    // Menu engineering, food: burger 3 sold (60 %), CM 15.00 - 2.10 = 12.90; salad 2 (40 %), CM
    // 9.00; threshold 70 % / 2 = 35 %; average CM (3 x 12.90 + 2 x 9.00) / 5 = 11.34: the burger
    // is a star, the salad a plowhorse.
    let bcg = api
        .get(
            &format!("/api/v1/accounting/product-categories/bcg-matrix?from={from}&to={to}"),
            &alice,
        )
        .await;
    let food = &bcg["categories"]["food"];
    assert_eq!(dec_of(&food["average_cm"]), dec("11.34"), "{food}");
    // The group's total CM: 3 x 12.90 + 2 x 9.00.
    assert_eq!(dec_of(&food["total_cm"]), dec("56.70"), "{food}");
    let class_of = |name: &str| {
        food["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .map(|i| (i["class"].clone(), dec_of(&i["cm"]), dec_of(&i["sold"])))
            .unwrap()
    };
    assert_eq!(class_of("Burger"), (json!("star"), dec("12.90"), dec("3")));
    assert_eq!(class_of("Salad"), (json!("plowhorse"), dec("9.00"), dec("2")));
}

/// A second organization sees none of it, and cannot name the first's items in a body.
async fn a_second_organization_sees_nothing(api: &Api, day: &mut Day, pool: &PgPool) {
    let (org_id, owner, beef, burger, supplier, po, po_path, to_stock, to_bar, o1, o4, payment_id) = (
        day.org_id.clone(),
        day.owner.clone(),
        day.beef.clone(),
        day.burger.clone(),
        day.supplier.clone(),
        day.po.clone(),
        day.po_path.clone(),
        day.to_stock.clone(),
        day.to_bar.clone(),
        day.o1.clone(),
        day.o4.clone(),
        day.payment_id.clone(),
    );
    let (status, other) = api
        .send(
            "POST",
            "/api/v1/organizations",
            None,
            Some(json!({"name": "Elsewhere", "admin": {"username": "intruder", "display_name": "I", "password": PASSWORD}})),
            None,
        )
        .await;
    assert_eq!(status, 401, "bootstrap is closed without the secret: {other}");
    let response = api
        .http
        .post(format!("{}/api/v1/organizations", api.base))
        .header("X-Bootstrap-Secret", "second organizations need this")
        .json(
            &json!({"name": "Elsewhere", "admin": {"username": "intruder", "display_name": "I", "password": PASSWORD}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let intruder = api.login("intruder", PASSWORD).await;
    let user_id = api.get(&format!("/api/v1/organizations/{org_id}/users"), &owner).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/api/v1/stock/inventory/{beef}"),
        format!("/api/v1/procurement/suppliers/{supplier}"),
        format!("/api/v1/menu/items/{burger}"),
        format!("/api/v1/pos/orders/{o1}"),
        format!("/api/v1/pos/orders/{o1}/receipt"),
        format!("/api/v1/pos/orders/{o1}/kitchen-status"),
        format!("/api/v1/procurement/purchase-orders/{po}"),
        format!("/api/v1/stock/transfers/{to_stock}"),
        format!("/api/v1/organizations/{org_id}/settings"),
        format!("/api/v1/organizations/{org_id}/users"),
        format!("/api/v1/audit/streams/order-{o1}"),
    ] {
        let (status, answer) = api.send("GET", &path, Some(&intruder), None, None).await;
        assert_eq!(status, 404, "GET {path} from another organization: {answer}");
    }
    for (method, path, body) in [
        ("POST", format!("/api/v1/pos/orders/{o4}/serve"), json!({})),
        ("POST", format!("/api/v1/kitchen/orders/{o1}/recall"), json!({})),
        ("POST", format!("{po_path}/cancel"), json!({})),
        ("POST", format!("/api/v1/stock/transfers/{to_bar}/cancel"), json!({})),
        (
            "PUT",
            format!("/api/v1/procurement/suppliers/{supplier}"),
            json!({"name": "Mine now"}),
        ),
        (
            "POST",
            format!("/api/v1/organizations/{org_id}/users/{user_id}/approve"),
            json!({"roles": ["manager"]}),
        ),
        (
            "POST",
            "/api/v1/pos/payments/refund".to_owned(),
            json!({"payment_id": payment_id, "amount": "1.00", "reason": "x"}),
        ),
    ] {
        let (status, answer) = api.send(method, &path, Some(&intruder), Some(body), Some(&path)).await;
        assert_eq!(status, 404, "{method} {path} from another organization: {answer}");
    }
    let their_menu = api.get("/api/v1/menu/items", &intruder).await;
    assert_eq!(their_menu["items"], json!([]), "{their_menu}");

    // Nor can it name the first's inventory item in a body: a recipe, a purchase order, a
    // transfer or an adjustment that does is refused naming the field, and writes nothing.
    let events_before: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await
        .unwrap();
    let their_supplier = api
        .created(
            "/api/v1/procurement/suppliers",
            &intruder,
            json!({"name": "Their mill"}),
        )
        .await;
    for (path, body, field) in [
        (
            "/api/v1/menu/items",
            json!({"name": "Stolen burger", "category": "food", "sell_price": "9.00", "station": "grill",
                   "recipe": [{"inventory_item_id": beef, "quantity": "0.2"}]}),
            "recipe[0].inventory_item_id",
        ),
        (
            "/api/v1/procurement/purchase-orders",
            json!({"supplier_id": their_supplier, "lines": [{"inventory_item_id": beef, "quantity": "1", "unit_price": "1.00"}]}),
            "lines[0].inventory_item_id",
        ),
        (
            "/api/v1/stock/transfers",
            json!({"from": "stock", "to": "kitchen", "lines": [{"inventory_item_id": beef, "quantity": "1"}]}),
            "lines[0].inventory_item_id",
        ),
        (
            "/api/v1/stock/adjustments",
            json!({"inventory_item_id": beef, "department": "kitchen", "quantity": "5", "reason": "stock_audit"}),
            "inventory_item_id",
        ),
    ] {
        let (status, answer) = api.send("POST", path, Some(&intruder), Some(body), None).await;
        assert_eq!(status, 422, "POST {path} naming another organization's item: {answer}");
        assert_eq!(
            answer["errors"][field][0],
            format!("no inventory item {beef}"),
            "{path}: {answer}"
        );
    }
    let events_after: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(
        events_after,
        events_before + 1,
        "only the intruder's own supplier was written"
    );
}

/// The cook starts a ticket and sends every line up, reading the lines off the expo screen.
async fn cook(api: &Api, cook: &str, order: &str) {
    api.ok(
        "POST",
        &format!("/api/v1/kitchen/orders/{order}/start"),
        cook,
        json!({}),
    )
    .await;
    let expo = api.get("/api/v1/kitchen/orders", cook).await;
    let ticket = expo["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["order_id"] == order)
        .unwrap_or_else(|| panic!("{order} on the expo screen: {expo}"))
        .clone();
    assert_eq!(ticket["status"], "cooking", "{ticket}");
    for line in ticket["lines"].as_array().unwrap() {
        let line_id = line["line_id"].as_str().unwrap();
        api.ok(
            "POST",
            &format!("/api/v1/kitchen/orders/{order}/items/{line_id}/ready"),
            cook,
            json!({}),
        )
        .await;
    }
}
