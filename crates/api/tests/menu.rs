//! The first command and query routes, end to end through HTTP with the fan-out running: add and
//! update menu items, read them back with `after=` (read-your-writes), page through them; an
//! Idempotency-Key makes 20 identical concurrent requests one command, and the same key with
//! another body is refused; another organization's item is not found; bad bodies are 422.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use brigade_api::auth::tokens::Keys;
use brigade_api::http::{AppState, Config};
use brigade_domain::Role;
use brigade_domain::ids::{TenantId, UserId};
use serde_json::{Value, json};
use support::Server;
use support::common::nats::NatsServer;
use support::common::{Fanout, TestDb};
use uuid::Uuid;

/// GET `url` as `token`, and the JSON it answers.
async fn get_json(http: &reqwest::Client, url: impl reqwest::IntoUrl, token: &str) -> Value {
    http.get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn burger(price: &str) -> Value {
    json!({"name": "Bistro Burger", "category": "food", "sell_price": price, "station": "grill", "recipe": []})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn menu_items_through_http_with_read_your_writes_idempotency_and_tenancy() {
    let db = TestDb::create("menu_http").await;
    let nats = NatsServer::start().await;
    let fanout = Fanout::start(&db, &nats.url()).await;
    let keys = Keys::random();
    let server = Server::start(AppState::new(db.store.clone(), None, keys.clone(), Config::default())).await;
    let base = format!("{}/api/v1/menu/items", server.base);
    let http = reqwest::Client::new();
    let token = |org: TenantId, role: Role| {
        keys.issue(UserId(Uuid::now_v7()), org, vec![role], chrono::Utc::now())
            .unwrap()
    };
    let (a, b) = (TenantId(Uuid::now_v7()), TenantId(Uuid::now_v7()));
    let maria = token(a, Role::Manager);

    // Add, then read it back at once with after=.
    let added = http
        .post(&base)
        .bearer_auth(&maria)
        .json(&burger("16.00"))
        .send()
        .await
        .unwrap();
    let status = added.status();
    let written: Value = added.json().await.unwrap();
    assert_eq!(status, 201, "{written}");
    assert_eq!(written["version"], 1);
    let (id, position) = (
        written["id"].as_str().unwrap().to_owned(),
        written["position"].as_i64().unwrap(),
    );
    let item: Value = get_json(&http, format!("{base}/{id}?after={position}"), &maria).await;
    assert_eq!(item["id"], id);
    assert_eq!(item["active"], true);
    assert!(item.to_string().contains("16.00"), "{item}");

    // Update the price; the read model follows.
    let updated = http
        .put(format!("{base}/{id}"))
        .bearer_auth(&maria)
        .json(&burger("17.50"))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    let written: Value = updated.json().await.unwrap();
    assert_eq!(written["version"], 2);
    let item: Value = get_json(&http, format!("{base}/{id}?after={}", written["position"]), &maria).await;
    assert!(item.to_string().contains("17.50"), "{item}");

    // 20 identical requests under one Idempotency-Key: one item, one answer.
    let mut racing = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = http
            .post(&base)
            .bearer_auth(&maria)
            .header("Idempotency-Key", "add-fries-1")
            .json(&json!({
                "name": "French Fries", "category": "food", "sell_price": "5.50", "station": "fryer", "recipe": []
            }));
        racing.spawn(async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = racing.join_next().await {
        answers.push(answer.unwrap());
    }
    assert!(
        answers
            .iter()
            .all(|(status, body)| *status == 201 && *body == answers[0].1),
        "{answers:?}"
    );
    let fries: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE tenant_id = $1 AND payload::text LIKE '%French Fries%'")
            .bind(a.0)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(fries, 1, "one command, whatever the number of requests");
    let reused = http
        .post(&base)
        .bearer_auth(&maria)
        .header("Idempotency-Key", "add-fries-1")
        .json(&burger("1.00"))
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), 422);
    let reused: Value = reused.json().await.unwrap();
    assert_eq!(reused["type"], "/problems/validation", "{reused}");
    assert!(
        reused["errors"]["Idempotency-Key"][0]
            .as_str()
            .unwrap()
            .contains("another request")
    );

    // A page at a time.
    let page: Value = get_json(
        &http,
        format!("{base}?limit=1&after={}", answers[0].1["position"]),
        &maria,
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let next: Value = get_json(
        &http,
        format!("{base}?limit=1&cursor={}", page["next_cursor"].as_str().unwrap()),
        &maria,
    )
    .await;
    assert_eq!(next["items"].as_array().unwrap().len(), 1);
    assert!(next["next_cursor"].is_null());

    // Another organization cannot see or change it.
    let other = token(b, Role::Manager);
    assert_eq!(
        http.get(format!("{base}/{id}"))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        http.put(format!("{base}/{id}"))
            .bearer_auth(&other)
            .json(&burger("1.00"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let theirs: Value = get_json(&http, &base, &other).await;
    assert_eq!(theirs["items"], json!([]));

    // Bad bodies change nothing.
    for bad in [
        burger("-1.00"),
        json!({"name": " ", "category": "food", "sell_price": "5.00", "station": "grill", "recipe": []}),
        json!({"name": "Soup", "category": "food", "sell_price": "5.00", "station": "grill", "recipe": [], "vip": true}),
        json!({"name": "Soup", "category": "dessert", "sell_price": "5.00", "station": "grill", "recipe": []}),
        json!({"name": "Soup"}),
    ] {
        let response = http.post(&base).bearer_auth(&maria).json(&bad).send().await.unwrap();
        assert_eq!(response.status(), 422, "{bad}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE tenant_id = $1")
        .bind(a.0)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(events, 3, "burger added and repriced, fries added once, nothing else");
    // The request id and the acting user are in the metadata of the events the request wrote.
    let request_id = Uuid::now_v7();
    let user = UserId(Uuid::now_v7());
    let paula = keys
        .issue(user, a, vec![Role::ProcessingStaff], chrono::Utc::now())
        .unwrap();
    let soup = json!({"name": "Soup", "category": "food", "sell_price": "6.00", "station": "saute", "recipe": []});
    let written: Value = http
        .post(&base)
        .bearer_auth(&paula)
        .header("X-Request-Id", request_id.to_string())
        .json(&soup)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (actor, correlation): (String, String) =
        sqlx::query_as("SELECT metadata->>'actor', metadata->>'correlation_id' FROM events WHERE position = $1")
            .bind(written["position"].as_i64().unwrap())
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!((actor, correlation), (user.0.to_string(), request_id.to_string()));

    // A position no event has, and a kitchen cook who may not edit the menu.
    let unknown = http
        .get(format!("{base}?after=999999999"))
        .bearer_auth(&maria)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 422);
    let cook = token(a, Role::KitchenStaff);
    assert_eq!(
        http.post(&base)
            .bearer_auth(&cook)
            .json(&burger("3.00"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    server.stop().await;
    fanout.stop().await;
}
