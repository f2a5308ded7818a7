//! The POS under pressure, through HTTP with the fan-out running: 50 terminals paying one bill at
//! once never pay beyond its total, 20 identical retries under one Idempotency-Key are one
//! payment, a payment without a key is refused; and a kitchen screen subscribed to the live feed
//! sees a new ticket within a second of the command returning, and resumes after a disconnection
//! with exactly the changes it missed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use brigade_api::auth::tokens::Keys;
use brigade_api::http::{AppState, Config};
use brigade_domain::Role;
use brigade_domain::ids::{TenantId, UserId};
use brigade_testkit::dec_of;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::common::nats::NatsServer;
use support::common::{Fanout, TestDb};
use support::{Api, Server};
use uuid::Uuid;

fn config() -> Config {
    Config {
        rate_per_second: 10_000,
        rate_burst: 10_000,
        ..Config::default()
    }
}

/// A manager's and a cashier's token in a fresh organization, and a 15.00 burger on its menu.
async fn restaurant(api: &Api, keys: &Keys) -> (String, String, String) {
    let org = TenantId(Uuid::now_v7());
    let token = |role| {
        keys.issue(UserId(Uuid::now_v7()), org, vec![role], chrono::Utc::now())
            .unwrap()
    };
    let (manager, cashier) = (token(Role::Manager), token(Role::PosOperator));
    let burger = add_burger(api, &manager).await;
    (manager, cashier, burger)
}

/// A 15.00 burger on the menu; its id.
async fn add_burger(api: &Api, manager: &str) -> String {
    api.created(
        "/api/v1/menu/items",
        manager,
        json!({"name": "Burger", "category": "food", "sell_price": "15.00", "station": "grill", "recipe": []}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_terminals_racing_on_one_bill_never_pay_beyond_it_and_a_key_is_one_payment() {
    let db = TestDb::create("pay_race").await;
    let keys = Keys::random();
    let server = Server::start(AppState::new(db.store.clone(), None, keys.clone(), config())).await;
    let api = Arc::new(Api::new(&server.base));
    let (_, cashier, burger) = restaurant(&api, &keys).await;
    let order = api
        .created(
            "/api/v1/pos/orders",
            &cashier,
            json!({"order_type": "takeout", "lines": [{"menu_item_id": burger, "quantity": 1}]}),
        )
        .await;

    // Before any payment, the bill's figures are spelled in cents, its zeros included (no tax here).
    let fresh = api.get(&format!("/api/v1/pos/orders/{order}"), &cashier).await;
    assert_eq!(fresh["discounts"], "0.00", "{fresh}");
    for (figure, spelled) in [
        ("subtotal", "15.00"),
        ("discount", "0.00"),
        ("tax", "0.00"),
        ("paid", "0.00"),
        ("tips", "0.00"),
    ] {
        assert_eq!(fresh["totals"][figure], spelled, "{figure}: {fresh}");
    }

    // 50 payments of 1.00 against a 15.00 bill, all at once, each under its own key.
    let mut racers = Vec::new();
    for n in 0..50 {
        let (api, cashier, order) = (api.clone(), cashier.clone(), order.clone());
        racers.push(tokio::spawn(async move {
            let body = json!({"order_id": order, "method": "card", "amount": "1.00"});
            api.send(
                "POST",
                "/api/v1/pos/payments/process",
                Some(&cashier),
                Some(body),
                Some(&format!("race {n}")),
            )
            .await
        }));
    }
    let mut accepted = 0;
    for racer in racers {
        let (status, answer) = racer.await.unwrap();
        match status {
            201 => accepted += 1,
            409 => assert_eq!(answer["status"], 409, "{answer}"),
            other => panic!("a racing payment answered {other}: {answer}"),
        }
    }
    let now = api.get(&format!("/api/v1/pos/orders/{order}"), &cashier).await;
    let paid = dec_of(&now["totals"]["paid"]);
    assert_eq!(
        Decimal::from(accepted),
        paid,
        "every accepted payment, and only those, is on the bill"
    );
    assert!(paid <= Decimal::from(15), "paid {paid} of a 15.00 bill");
    assert_eq!(now["payments"].as_array().unwrap().len(), accepted);
    println!("50 racing payments of 1.00 on a 15.00 bill: {accepted} accepted, paid {paid}");
    // Refusals were for the balance (or a lost race, retried): the bill can be settled exactly.
    let outstanding = dec_of(&now["totals"]["outstanding"]);
    if !outstanding.is_zero() {
        api.ok(
            "POST",
            "/api/v1/pos/payments/process",
            &cashier,
            json!({"order_id": order, "method": "cash", "amount": outstanding.to_string()}),
        )
        .await;
    }
    let (status, over) = api
        .send(
            "POST",
            "/api/v1/pos/payments/process",
            Some(&cashier),
            Some(json!({"order_id": order, "method": "cash", "amount": "0.01"})),
            Some("one cent more"),
        )
        .await;
    assert_eq!(status, 409, "a paid bill takes nothing more: {over}");

    // 20 identical requests under one key: one payment, 20 identical answers.
    let second = api
        .created(
            "/api/v1/pos/orders",
            &cashier,
            json!({"order_type": "takeout", "lines": [{"menu_item_id": burger, "quantity": 2}]}),
        )
        .await;
    let mut retries = Vec::new();
    for _ in 0..20 {
        let (api, cashier, second) = (api.clone(), cashier.clone(), second.clone());
        retries.push(tokio::spawn(async move {
            let body = json!({"order_id": second, "method": "card", "amount": "10.00", "tip": "2.00"});
            api.send(
                "POST",
                "/api/v1/pos/payments/process",
                Some(&cashier),
                Some(body),
                Some("terminal 7 txn 1"),
            )
            .await
        }));
    }
    let mut answers = Vec::new();
    for retry in retries {
        answers.push(retry.await.unwrap());
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 201, "{answers:?}");
    let now = api.get(&format!("/api/v1/pos/orders/{second}"), &cashier).await;
    assert_eq!(now["payments"].as_array().unwrap().len(), 1, "{now}");
    assert_eq!(dec_of(&now["totals"]["paid"]), Decimal::from(10));
    assert_eq!(dec_of(&now["totals"]["tips"]), Decimal::from(2));

    // Without a key, a payment is refused and nothing is written.
    let (status, refused) = api
        .send(
            "POST",
            "/api/v1/pos/payments/process",
            Some(&cashier),
            Some(json!({"order_id": second, "method": "cash", "amount": "1.00"})),
            None,
        )
        .await;
    assert_eq!(status, 428, "{refused}");
    let now = api.get(&format!("/api/v1/pos/orders/{second}"), &cashier).await;
    assert_eq!(now["payments"].as_array().unwrap().len(), 1, "{now}");
    server.stop().await;
}

/// A server with the fan-out running (workers and NATS), for the live feeds.
struct Live {
    _db: TestDb,
    _nats: NatsServer,
    fanout: Fanout,
    keys: Keys,
    server: Server,
    api: Api,
}

impl Live {
    async fn start(name: &str) -> Live {
        let db = TestDb::create(name).await;
        let nats = NatsServer::start().await;
        let fanout = Fanout::start(&db, &nats.url()).await;
        let keys = Keys::random();
        let server = Server::start(AppState::new(db.store.clone(), None, keys.clone(), config())).await;
        let api = Api::new(&server.base);
        Live {
            _db: db,
            _nats: nats,
            fanout,
            keys,
            server,
            api,
        }
    }

    /// Stops the server (open feeds must not hold it up), then the fan-out.
    async fn stop(self) {
        self.server.stop().await;
        self.fanout.stop().await;
    }
}

/// A Server-Sent Events subscription, read event by event.
struct Feed {
    response: reqwest::Response,
    buffer: String,
}

impl Feed {
    /// Opens `path` (the kitchen's feed or the floor's, with its query).
    async fn open(api: &Api, token: &str, path: &str, last_id: Option<&str>) -> Feed {
        let mut request = api.http.get(format!("{}{path}", api.base)).bearer_auth(token);
        if let Some(id) = last_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Feed {
            response,
            buffer: String::new(),
        }
    }

    /// The next event as (id, event name, data), within `within`.
    async fn next(&mut self, within: Duration) -> Option<(String, String, Value)> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (String::new(), String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if id.is_empty() {
                    continue; // a keep-alive comment
                }
                return Some((id, event, serde_json::from_str(&data).unwrap()));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?;
            let chunk = chunk.unwrap()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// The number the server gave an order.
async fn number_of(api: &Api, token: &str, order: &str) -> u64 {
    api.get(&format!("/api/v1/pos/orders/{order}"), token).await["number"]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_numbered_per_business_day_in_the_organizations_timezone() {
    let db = TestDb::create("numbers").await;
    let keys = Keys::random();
    let server = Server::start(AppState::new(db.store.clone(), None, keys.clone(), config())).await;
    let api = Arc::new(Api::new(&server.base));
    let (status, org) = api
        .send(
            "POST",
            "/api/v1/organizations",
            None,
            Some(json!({"name": "Chez Numbers", "admin": {"username": "owner", "display_name": "Owner", "password": "a long passphrase"}})),
            None,
        )
        .await;
    assert_eq!(status, 201, "{org}");
    let org = Uuid::parse_str(org["id"].as_str().unwrap()).unwrap();
    let manager = api.login("owner", "a long passphrase").await;
    let burger = add_burger(&api, &manager).await;
    let order = json!({"order_type": "takeout", "lines": [{"menu_item_id": burger, "quantity": 1}]});
    let place = |body: Value| {
        let (api, manager) = (api.clone(), manager.clone());
        async move { api.created("/api/v1/pos/orders", &manager, body).await }
    };

    // The first orders (the first before any settings are cached, then with them cached).
    let mut numbers = Vec::new();
    for _ in 0..3 {
        let id = place(order.clone()).await;
        numbers.push(number_of(&api, &manager, &id).await);
    }
    assert_eq!(numbers, [1, 2, 3]);
    // Twelve terminals at once: twelve different numbers, none skipped.
    let racing: Vec<_> = (0..12).map(|_| tokio::spawn(place(order.clone()))).collect();
    let mut numbers = Vec::new();
    for id in racing {
        numbers.push(number_of(&api, &manager, &id.await.unwrap()).await);
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (4..=15).collect::<Vec<_>>());
    // The POS's own number is kept, and does not move the day's counter.
    let mut own = order.clone();
    own["number"] = json!(99);
    assert_eq!(number_of(&api, &manager, &place(own).await).await, 99);
    assert_eq!(number_of(&api, &manager, &place(order.clone()).await).await, 16);

    // The organization moves to a timezone where it is another day than in UTC (one of the two
    // always is): the next order is the first of that day.
    let utc_today = chrono::Utc::now().date_naive();
    let tz = [chrono_tz::Pacific::Kiritimati, chrono_tz::Etc::GMTPlus12]
        .into_iter()
        .find(|tz| chrono::Utc::now().with_timezone(tz).date_naive() != utc_today)
        .unwrap();
    let path = format!("/api/v1/organizations/{org}/settings");
    let mut settings = api.get(&path, &manager).await["settings"].clone();
    settings["timezone"] = json!(tz.name());
    api.ok("PUT", &path, &manager, settings).await;
    let mut numbers = Vec::new();
    for _ in 0..2 {
        numbers.push(number_of(&api, &manager, &place(order.clone()).await).await);
    }
    assert_eq!(numbers, [1, 2], "the first orders of {tz}'s day");
    let days: Vec<(chrono::NaiveDate, i32)> =
        sqlx::query_as("SELECT day, last FROM api.order_numbers WHERE tenant_id = $1 ORDER BY day")
            .bind(org)
            .fetch_all(db.store.pool())
            .await
            .unwrap();
    let local_today = chrono::Utc::now().with_timezone(&tz).date_naive();
    assert!(days.contains(&(utc_today, 16)), "{days:?}");
    assert!(days.contains(&(local_today, 2)), "{days:?}");
    server.stop().await;
}

/// The reference checks and order numbers of concurrent orders share one statement: two
/// restaurants racing through the same batches each get their own day's numbers and their own menu.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_restaurants_ordering_at_once_keep_their_own_numbers_and_menus() {
    let db = TestDb::create("numbers_two").await;
    let keys = Keys::random();
    let server = Server::start(AppState::new(db.store.clone(), None, keys.clone(), config())).await;
    let api = Arc::new(Api::new(&server.base));
    let (manager_a, _, burger_a) = restaurant(&api, &keys).await;
    let (manager_b, _, burger_b) = restaurant(&api, &keys).await;
    let order = |burger: &str| json!({"order_type": "takeout", "lines": [{"menu_item_id": burger, "quantity": 1}]});
    let racing: Vec<_> = (0..24)
        .map(|i| {
            let (token, body) = if i % 2 == 0 {
                (manager_a.clone(), order(&burger_a))
            } else {
                (manager_b.clone(), order(&burger_b))
            };
            let api = api.clone();
            tokio::spawn(async move {
                let id = api.created("/api/v1/pos/orders", &token, body).await;
                (i % 2, number_of(&api, &token, &id).await)
            })
        })
        .collect();
    let mut numbers = [Vec::new(), Vec::new()];
    for placed in racing {
        let (restaurant, number) = placed.await.unwrap();
        numbers[restaurant].push(number);
    }
    for n in &mut numbers {
        n.sort_unstable();
        assert_eq!(*n, (1..=12).collect::<Vec<_>>());
    }
    // One restaurant's menu item is not on the other's menu, batched or not.
    let (status, problem) = api
        .send(
            "POST",
            "/api/v1/pos/orders",
            Some(&manager_b),
            Some(order(&burger_a)),
            None,
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kitchen_screen_sees_a_new_ticket_within_a_second_and_resumes_where_it_left() {
    let live = Live::start("kitchen_feed").await;
    let (api, keys) = (&live.api, &live.keys);
    let (manager, cashier, burger) = restaurant(api, keys).await;
    let cook = keys
        .issue(
            UserId(Uuid::now_v7()),
            TenantId(Uuid::now_v7()),
            vec![],
            chrono::Utc::now(),
        )
        .unwrap();
    let (status, _) = api.send("GET", "/api/v1/kitchen/stream", Some(&cook), None, None).await;
    assert_eq!(status, 403, "a user with no kitchen role gets no feed");
    let (status, bad) = api
        .send(
            "GET",
            "/api/v1/kitchen/stream?last_event_id=yesterday",
            Some(&manager),
            None,
            None,
        )
        .await;
    assert_eq!(status, 400, "{bad}");

    let mut grill = Feed::open(api, &manager, "/api/v1/kitchen/stream?station=grill", None).await;
    let mut bar = Feed::open(api, &manager, "/api/v1/kitchen/stream?station=bar", None).await;
    let order = api
        .created(
            "/api/v1/pos/orders",
            &cashier,
            json!({"order_type": "dine_in", "table": 4, "lines": [{"menu_item_id": burger, "quantity": 2}]}),
        )
        .await;
    api.ok(
        "POST",
        &format!("/api/v1/pos/orders/{order}/send-to-kitchen"),
        &cashier,
        json!({}),
    )
    .await;
    // How quickly it arrives is for a benchmark to measure (the machines are noisy, so no timed
    // assertion here); this checks that it arrives, on the right screen only.
    let returned = Instant::now();
    let (sent_id, change, data) = grill.next(Duration::from_secs(30)).await.expect("the new ticket");
    let latency = returned.elapsed();
    assert_eq!(
        (change.as_str(), data["order_id"].as_str()),
        ("sent", Some(order.as_str())),
        "{data}"
    );
    println!("new ticket on the grill screen {latency:?} after the command returned");
    assert!(
        bar.next(Duration::from_millis(300)).await.is_none(),
        "the bar has no line of it"
    );

    // The screen goes away; the ticket is started and rushed meanwhile.
    drop(grill);
    api.ok(
        "POST",
        &format!("/api/v1/kitchen/orders/{order}/start"),
        &manager,
        json!({}),
    )
    .await;
    api.ok(
        "PUT",
        &format!("/api/v1/kitchen/orders/{order}/priority"),
        &cashier,
        json!({"rush": true}),
    )
    .await;
    // Back, with the last id it saw: exactly the two changes it missed, in order.
    let mut grill = Feed::open(api, &manager, "/api/v1/kitchen/stream?station=grill", Some(&sent_id)).await;
    let (_, first, _) = grill.next(Duration::from_secs(30)).await.expect("the start");
    let (last_id, second, ticket) = grill.next(Duration::from_secs(30)).await.expect("the rush");
    assert_eq!((first.as_str(), second.as_str()), ("started", "priority"));
    assert_eq!(ticket["ticket"]["rush"], true, "{ticket}");
    assert!(grill.next(Duration::from_millis(300)).await.is_none(), "nothing else");
    // The same id from the query string resumes the same way (for clients that cannot set headers).
    let mut again = Feed::open(
        api,
        &manager,
        &format!("/api/v1/kitchen/stream?station=grill&last_event_id={sent_id}"),
        None,
    )
    .await;
    let (id, _, _) = again.next(Duration::from_secs(30)).await.unwrap();
    let (id2, _, _) = again.next(Duration::from_secs(30)).await.unwrap();
    assert_eq!(id2, last_id);
    assert_ne!(id, id2);

    // Open feeds do not hold up a graceful shutdown.
    live.stop().await;
}

/// The floor's feed: each order's state as the front of house needs it (number, table, status),
/// from sent to served, resumable like the kitchen's; the cooks do not get it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_floor_follows_each_order_from_sent_to_served_and_resumes_where_it_left() {
    let live = Live::start("floor_feed").await;
    let (api, keys) = (&live.api, &live.keys);
    let (manager, cashier, burger) = restaurant(api, keys).await;
    let cook = keys
        .issue(
            UserId(Uuid::now_v7()),
            TenantId(Uuid::now_v7()),
            vec![Role::KitchenStaff],
            chrono::Utc::now(),
        )
        .unwrap();
    let (status, _) = api
        .send("GET", "/api/v1/pos/orders/stream", Some(&cook), None, None)
        .await;
    assert_eq!(status, 403, "the floor's feed is the front of house's");
    let (status, bad) = api
        .send(
            "GET",
            "/api/v1/pos/orders/stream?last_event_id=noon",
            Some(&cashier),
            None,
            None,
        )
        .await;
    assert_eq!(status, 400, "{bad}");
    assert!(bad["detail"].as_str().unwrap().contains("noon"), "{bad}");

    let mut floor = Feed::open(api, &cashier, "/api/v1/pos/orders/stream", None).await;
    let order = api
        .created(
            "/api/v1/pos/orders",
            &cashier,
            json!({"order_type": "dine_in", "table": 9, "lines": [{"menu_item_id": burger, "quantity": 1}]}),
        )
        .await;
    let number = number_of(api, &cashier, &order).await;
    let step = |path: &str| format!("/api/v1/{path}/{order}");
    api.ok(
        "POST",
        &format!("{}/send-to-kitchen", step("pos/orders")),
        &cashier,
        json!({}),
    )
    .await;
    let (sent_id, event, data) = floor.next(Duration::from_secs(30)).await.expect("sent");
    assert_eq!(event, "queued", "{data}");
    assert_eq!(data["change"], "sent");
    assert_eq!(data["order_id"], order.as_str());
    assert_eq!(data["number"], number);
    assert_eq!(data["table"], 9);
    assert_eq!(data["order_type"], "dine_in");
    assert!(data["position"].as_i64().unwrap() > 0, "{data}");

    // The floor screen goes away; the kitchen cooks and bumps it, the cashier serves it.
    drop(floor);
    api.ok(
        "POST",
        &format!("{}/start", step("kitchen/orders")),
        &manager,
        json!({}),
    )
    .await;
    api.ok(
        "POST",
        &format!("{}/complete", step("kitchen/orders")),
        &manager,
        json!({}),
    )
    .await;
    api.ok("POST", &format!("{}/serve", step("pos/orders")), &cashier, json!({}))
        .await;
    let mut floor = Feed::open(api, &cashier, "/api/v1/pos/orders/stream", Some(&sent_id)).await;
    let mut seen = Vec::new();
    while let Some((_, event, data)) = floor.next(Duration::from_secs(5)).await {
        assert_eq!(data["status"], event.as_str(), "{data}");
        seen.push((event, data["change"].as_str().unwrap().to_owned()));
        if seen.len() == 3 {
            break;
        }
    }
    let seen: Vec<(&str, &str)> = seen.iter().map(|(e, c)| (e.as_str(), c.as_str())).collect();
    assert_eq!(
        seen,
        [("cooking", "started"), ("ready", "completed"), ("served", "served")]
    );
    assert!(floor.next(Duration::from_millis(300)).await.is_none(), "nothing else");
    live.stop().await;
}
