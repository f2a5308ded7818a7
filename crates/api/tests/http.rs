//! The HTTP server through real HTTP, against a real PostgreSQL and a real NATS server: liveness,
//! readiness (database, NATS, projection lag) going down and up with NATS, Prometheus metrics by
//! route and status, request ids taken or made, problem+json for every error the server writes
//! (unknown route, wrong method, oversize body), and graceful shutdown, in-process and of the
//! `brigade serve` binary on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use brigade_api::auth::tokens::Keys;
use brigade_api::http::{AppState, Config};
use serde_json::Value;
use std::time::{Duration, Instant};
use support::common::nats::NatsServer;
use support::common::{Fanout, TestDb};
use support::{ServeProcess, Server};

async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.unwrap()
}

fn content_type(response: &reqwest::Response) -> String {
    response.headers()["content-type"].to_str().unwrap().to_owned()
}

/// Polls readiness until it answers `status` (or panics after `within`); returns the body.
async fn ready_becomes(base: &str, status: u16, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let response = get(&format!("{base}/health/ready")).await;
        if response.status().as_u16() == status {
            return response.json().await.unwrap();
        }
        assert!(Instant::now() < deadline, "readiness never became {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_metrics_request_ids_and_problems_through_http() {
    let db = TestDb::create("http").await;
    let mut nats = NatsServer::start().await;
    let client = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connect(nats.url())
        .await
        .unwrap();
    let server = Server::start(AppState::new(
        db.store.clone(),
        Some(client),
        Keys::random(),
        Config {
            body_limit: 1024,
            ..Config::default()
        },
    ))
    .await;
    let base = server.base.clone();

    // Liveness, with a request id made for it (a UUIDv7), or the client's own echoed.
    let live = get(&format!("{base}/health/live")).await;
    assert_eq!(live.status(), 200);
    let id = live.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);
    let http = reqwest::Client::new();
    let echoed = http
        .get(format!("{base}/health/live"))
        .header("X-Request-Id", "pos-7-req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "pos-7-req-42");

    // No worker has started any read model yet: not ready, naming each one the server serves
    // (deterministically: nothing runs that could register one).
    let early = get(&format!("{base}/health/ready")).await;
    assert_eq!(early.status(), 503);
    let early: Value = early.json().await.unwrap();
    let detail = early["detail"].as_str().unwrap();
    for name in ["kitchen_queue", "sales", "stock"] {
        assert!(detail.contains(&format!("projection {name}: not started")), "{detail}");
    }
    let states: Vec<(&str, &str)> = early["checks"]["projections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("kitchen_queue", "not_started"),
            ("stock", "not_started"),
            ("sales", "not_started")
        ]
    );

    // Ready once every read model has started and caught up; every check is listed.
    let fanout = Fanout::start(&db, &nats.url()).await;
    let ready = ready_becomes(&base, 200, Duration::from_secs(20)).await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["checks"]["database"]["ok"], true);
    assert_eq!(ready["checks"]["nats"]["ok"], true);
    let names: Vec<&str> = ready["checks"]["projections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["kitchen_queue", "stock", "sales"],
        "in the order operators see them"
    );

    // Errors the server writes itself are problem+json.
    let unknown = get(&format!("{base}/api/v1/nothing-here")).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(content_type(&unknown), "application/problem+json");
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["type"], "/problems/not-found");
    assert_eq!(body["status"], 404);
    assert!(body["detail"].as_str().unwrap().contains("/api/v1/nothing-here"));
    let wrong_method = http.delete(format!("{base}/health/live")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(content_type(&wrong_method), "application/problem+json");
    let oversize = http
        .post(format!("{base}/health/live"))
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(oversize.status(), 413);
    assert_eq!(content_type(&oversize), "application/problem+json");
    assert_eq!(oversize.json::<Value>().await.unwrap()["status"], 413);

    // NATS down: not ready, saying why, with Retry-After; back up: ready again.
    nats.kill();
    let down = {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let response = get(&format!("{base}/health/ready")).await;
            if response.status() == 503 {
                break response;
            }
            assert!(Instant::now() < deadline, "readiness never noticed NATS going down");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    assert_eq!(content_type(&down), "application/problem+json");
    assert!(down.headers().contains_key("retry-after"));
    let problem: Value = down.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("nats"), "{problem}");
    assert_eq!(problem["checks"]["nats"]["ok"], false);
    assert_eq!(problem["checks"]["database"]["ok"], true);
    nats.resume().await;
    ready_becomes(&base, 200, Duration::from_secs(30)).await;

    // Metrics: the request histogram by route pattern and status, and the projections' lag.
    let text = get(&format!("{base}/metrics")).await.text().await.unwrap();
    for needle in [
        "brigade_http_request_duration_seconds_bucket{method=\"GET\",route=\"/health/live\",status=\"200\"",
        "brigade_http_request_duration_seconds_bucket{method=\"GET\",route=\"/health/ready\",status=\"503\"",
        "status=\"404\"",
        "brigade_projection_lag_events{projection=\"kitchen_queue\"}",
    ] {
        assert!(text.contains(needle), "{needle} in /metrics:\n{text}");
    }

    // Graceful shutdown: the server returns once asked.
    server.stop().await;
    fanout.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brigade_serve_answers_and_stops_cleanly_on_sigterm() {
    let db = TestDb::create("serve_bin").await;
    let nats = NatsServer::start().await;
    let serve = ServeProcess::start(&db.url, &nats.url(), &[]).await;
    let base = serve.base.clone();
    assert_eq!(get(&format!("{base}/health/live")).await.status(), 200);
    ready_becomes(&base, 200, Duration::from_secs(30)).await;
    let status = serve.stop().await;
    assert!(status.success(), "{status:?}");
}

/// A supervisor may close the server's stdout (or stop reading it): the server must go on
/// serving, the screens too, rather than die on the broken pipe of its first line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brigade_serve_keeps_serving_when_its_stdout_is_closed() {
    let db = TestDb::create("serve_stdout").await;
    let nats = NatsServer::start().await;
    let screens = std::env::temp_dir().join(format!("brigade-screens-{}", std::process::id()));
    std::fs::create_dir_all(&screens).unwrap();
    std::fs::write(screens.join("index.html"), "<!doctype html><title>Brigade</title>").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // A pipe whose reading end is gone before the server writes a byte.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_brigade"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("NATS_URL", nats.url())
        .env("BRIGADE_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("BRIGADE_SCREENS_DIR", &screens)
        .env("RUST_LOG", "warn")
        .stdout(writer)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let live = loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the server exited: {:?}",
            child.try_wait()
        );
        if let Ok(response) = reqwest::get(format!("{base}/health/live")).await {
            break response.status();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the server never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(live, 200);
    let page = get(&format!("{base}/")).await.text().await.unwrap();
    assert!(page.contains("<title>Brigade</title>"), "{page}");
    assert!(child.try_wait().unwrap().is_none(), "the server exited after answering");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&screens);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_3_1_and_every_operation_it_lists_is_served() {
    let db = TestDb::create("openapi").await;
    let server = Server::start(AppState::new(db.store.clone(), None, Keys::random(), Config::default())).await;
    let base = server.base.clone();

    let document: Value = get(&format!("{base}/openapi.json")).await.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["components"]["schemas"]["Problem"].is_object());
    let paths = document["paths"].as_object().unwrap();
    let listed: Vec<&str> = paths.keys().map(String::as_str).collect();
    // Every path of spec/api.md (the contract), the screens' two (the caller's permitted routes,
    // the floor's feed of order states), and nothing else.
    assert_eq!(
        listed,
        [
            "/api/v1/accounting/expenses",
            "/api/v1/accounting/food-cost-ratio",
            "/api/v1/accounting/product-categories/bcg-matrix",
            "/api/v1/accounting/reports/pl-statement",
            "/api/v1/accounting/reports/wastage",
            "/api/v1/admin/projections",
            "/api/v1/admin/projections/{name}/retry",
            "/api/v1/audit/streams/{stream_id}",
            "/api/v1/auth/login",
            "/api/v1/auth/logout",
            "/api/v1/auth/permissions",
            "/api/v1/auth/profile",
            "/api/v1/auth/refresh",
            "/api/v1/auth/register",
            "/api/v1/kitchen/orders",
            "/api/v1/kitchen/orders/{id}/complete",
            "/api/v1/kitchen/orders/{id}/items/{line_id}/ready",
            "/api/v1/kitchen/orders/{id}/priority",
            "/api/v1/kitchen/orders/{id}/recall",
            "/api/v1/kitchen/orders/{id}/start",
            "/api/v1/kitchen/stream",
            "/api/v1/menu/items",
            "/api/v1/menu/items/{id}",
            "/api/v1/organizations",
            "/api/v1/organizations/{id}/settings",
            "/api/v1/organizations/{id}/users",
            "/api/v1/organizations/{id}/users/{user_id}",
            "/api/v1/organizations/{id}/users/{user_id}/approve",
            "/api/v1/pos/customers",
            "/api/v1/pos/customers/{id}",
            "/api/v1/pos/orders",
            "/api/v1/pos/orders/stream",
            "/api/v1/pos/orders/{id}",
            "/api/v1/pos/orders/{id}/cancel",
            "/api/v1/pos/orders/{id}/discounts",
            "/api/v1/pos/orders/{id}/items",
            "/api/v1/pos/orders/{id}/items/{line_id}",
            "/api/v1/pos/orders/{id}/kitchen-status",
            "/api/v1/pos/orders/{id}/receipt",
            "/api/v1/pos/orders/{id}/send-to-kitchen",
            "/api/v1/pos/orders/{id}/serve",
            "/api/v1/pos/payments/process",
            "/api/v1/pos/payments/refund",
            "/api/v1/procurement/purchase-orders",
            "/api/v1/procurement/purchase-orders/{id}",
            "/api/v1/procurement/purchase-orders/{id}/approve",
            "/api/v1/procurement/purchase-orders/{id}/cancel",
            "/api/v1/procurement/purchase-orders/{id}/close",
            "/api/v1/procurement/purchase-orders/{id}/receive",
            "/api/v1/procurement/purchase-orders/{id}/reject",
            "/api/v1/procurement/purchase-orders/{id}/submit",
            "/api/v1/procurement/suppliers",
            "/api/v1/procurement/suppliers/{id}",
            "/api/v1/stock/adjustments",
            "/api/v1/stock/adjustments/{id}",
            "/api/v1/stock/alerts",
            "/api/v1/stock/inventory",
            "/api/v1/stock/inventory/{id}",
            "/api/v1/stock/levels",
            "/api/v1/stock/reports/usage",
            "/api/v1/stock/reports/valuation",
            "/api/v1/stock/transfers",
            "/api/v1/stock/transfers/{id}",
            "/api/v1/stock/transfers/{id}/cancel",
            "/api/v1/stock/transfers/{id}/reject",
            "/api/v1/stock/transfers/{id}/validate",
            "/health/live",
            "/health/ready",
            "/metrics",
            "/openapi.json",
        ]
    );
    let http = reqwest::Client::new();
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = http
                .request(method.clone(), format!("{base}{path}"))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16().to_string();
            assert!(
                operation["responses"][&status].is_object(),
                "{method} {path} answered {status}, which the document does not list"
            );
            // Every error response is documented as problem+json.
            for (code, response) in operation["responses"].as_object().unwrap() {
                if code.starts_with('4') || code.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{method} {path} {code}"
                    );
                }
            }
        }
    }
    // An id in the path that is not a UUID is a 400 the document lists, on every such route,
    // and the server answers it so.
    let mut with_ids = 0;
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let has_uuid = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["in"] == "path" && p["schema"]["format"] == "uuid");
            if !has_uuid {
                continue;
            }
            with_ids += 1;
            assert!(
                operation["responses"]["400"].is_object(),
                "{method} {path} lists no 400"
            );
            let bad = path
                .replace("{id}", "not-a-uuid")
                .replace("{line_id}", "x")
                .replace("{user_id}", "y");
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = http
                .request(method.clone(), format!("{base}{bad}"))
                .send()
                .await
                .unwrap();
            // Authentication comes first; what a caller with a token gets is checked below.
            assert!([400, 401].contains(&response.status().as_u16()), "{method} {bad}");
        }
    }
    assert!(with_ids > 30, "the routes with ids were found: {with_ids}");
    // Examples are values a client can send as they are: no placeholder ids.
    let text = document.to_string();
    assert!(!text.contains("0193..."), "a placeholder id in an example");

    // Without NATS configured, readiness is the documented 503.
    assert_eq!(get(&format!("{base}/health/ready")).await.status(), 503);
    server.stop().await;
}

/// Every mistake a client can make gets one problem shape: the same `type` and title for the same
/// kind, every 422 with `errors` naming the field as the client wrote it, a NUL character refused
/// as bad input wherever it is sent, refusals naming states in the API's words, and a refused
/// request repeated under its Idempotency-Key answered with the same problem+json.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mistake_gets_one_problem_shape_naming_its_field() {
    use brigade_domain::Role;
    use brigade_domain::ids::{TenantId, UserId};
    use serde_json::json;
    use support::Api;
    use uuid::Uuid;

    let db = TestDb::create("problems").await;
    let keys = Keys::random();
    let server = Server::start(AppState::new(db.store.clone(), None, keys.clone(), Config::default())).await;
    let api = Api::new(&server.base);
    let org = TenantId(Uuid::now_v7());
    let token = |role| {
        keys.issue(UserId(Uuid::now_v7()), org, vec![role], chrono::Utc::now())
            .unwrap()
    };
    let (manager, admin) = (token(Role::Manager), token(Role::SuperAdmin));
    let validation = |(status, body): (u16, Value)| {
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["type"], "/problems/validation", "{body}");
        assert_eq!(body["title"], "Invalid request", "{body}");
        body["errors"].clone()
    };

    let place = |order: Value| api.send("POST", "/api/v1/pos/orders", Some(&manager), Some(order), None);

    // A body that does not deserialize: the field, in the client's terms.
    let missing = place(json!({"order_type": "takeout", "lines": [{"quantity": 1}]})).await;
    assert_eq!(validation(missing), json!({"lines[0].menu_item_id": ["missing"]}));
    let unknown = place(json!({"order_type": "takeout", "tabel": 4})).await;
    let errors = validation(unknown);
    assert!(
        errors["tabel"][0].as_str().unwrap().starts_with("unknown field"),
        "{errors}"
    );
    let wrong_type = place(json!({"order_type": "takeout", "table": "four"})).await;
    assert!(validation(wrong_type)["table"].is_array());

    // A domain refusal of input names its field too; so does an edge check and after=.
    let burger = api
        .created(
            "/api/v1/menu/items",
            &manager,
            json!({"name": "Burger", "category": "food", "sell_price": "15.00", "station": "grill", "recipe": []}),
        )
        .await;
    let no_table = place(json!({"order_type": "dine_in", "lines": [{"menu_item_id": burger, "quantity": 1}]})).await;
    assert_eq!(validation(no_table)["table"][0], "a dine-in order needs a table number");
    let too_many = place(json!({"order_type": "takeout", "lines": [{"menu_item_id": burger, "quantity": 1000}]})).await;
    assert_eq!(
        validation(too_many),
        json!({"lines[0].quantity": ["must be between 1 and 999"]})
    );
    let after = api
        .send(
            "GET",
            "/api/v1/kitchen/orders?after=999999999",
            Some(&manager),
            None,
            None,
        )
        .await;
    assert!(validation(after)["after"][0].as_str().unwrap().contains("999999999"));

    // A refusal names the order's state as the API spells it.
    let order = api
        .created(
            "/api/v1/pos/orders",
            &manager,
            json!({"order_type": "takeout", "lines": [{"menu_item_id": burger, "quantity": 1}]}),
        )
        .await;
    api.ok(
        "POST",
        &format!("/api/v1/pos/orders/{order}/send-to-kitchen"),
        &manager,
        json!({}),
    )
    .await;
    let (status, early) = api
        .send(
            "POST",
            &format!("/api/v1/pos/orders/{order}/serve"),
            Some(&manager),
            None,
            None,
        )
        .await;
    assert_eq!(status, 409, "{early}");
    assert_eq!(early["type"], "/problems/refused");
    assert_eq!(early["detail"], "cannot serve an order that is in_kitchen");
    // A cancel body may be null, as documented.
    let (status, _) = api
        .send(
            "POST",
            &format!("/api/v1/pos/orders/{order}/cancel"),
            Some(&manager),
            Some(Value::Null),
            None,
        )
        .await;
    assert_eq!(status, 200);

    // NUL is bad input everywhere: in a body's text, a path, a query parameter.
    let login = api
        .send(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "ma\u{0}ria", "password": "brigade-demo"})),
            None,
        )
        .await;
    assert_eq!(validation(login), json!({"username": ["contains a NUL character"]}));
    for (path, place) in [
        ("/api/v1/audit/streams/a%00b", "the path"),
        ("/api/v1/admin/projections/a%00b/retry", "the path"),
        ("/api/v1/pos/orders?status=%00", "query parameter `status`"),
        ("/api/v1/stock/levels?department=bar%00", "query parameter `department`"),
    ] {
        let method = if path.ends_with("retry") { "POST" } else { "GET" };
        let (status, body) = api.send(method, path, Some(&admin), None, None).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["type"], "/problems/bad-request", "{path}");
        assert!(body["detail"].as_str().unwrap().starts_with(place), "{path}: {body}");
    }

    // Paging and after= outside their documented bounds are refused, not silently clamped.
    for (path, says) in [
        ("/api/v1/pos/orders?limit=0", "limit must be from 1 to 500"),
        ("/api/v1/pos/orders?limit=501", "limit must be from 1 to 500"),
        ("/api/v1/pos/orders?after=-1", "after must be a position"),
        ("/api/v1/kitchen/orders?after=-5", "after must be a position"),
    ] {
        let (status, body) = api.send("GET", path, Some(&manager), None, None).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body["detail"].as_str().unwrap().contains(says), "{path}: {body}");
    }
    let (status, _) = api
        .send("GET", "/api/v1/pos/orders?limit=500", Some(&manager), None, None)
        .await;
    assert_eq!(status, 200, "the largest page is allowed");

    // One type, one title: a 400 written by the framework (a path id that is not a UUID) and one
    // written by a handler (a report's range) read the same.
    let (status, framework) = api
        .send("GET", "/api/v1/pos/orders/not-a-uuid", Some(&manager), None, None)
        .await;
    assert_eq!(status, 400);
    let (status, ours) = api
        .send(
            "GET",
            "/api/v1/accounting/reports/pl-statement?from=2026-11-21&to=2026-11-20",
            Some(&manager),
            None,
            None,
        )
        .await;
    assert_eq!(status, 400, "{ours}");
    assert_eq!(framework["type"], ours["type"]);
    assert_eq!(framework["title"], ours["title"]);

    // Malformed JSON, and not JSON at all, before any handler ran; repeated under the same
    // Idempotency-Key, the same problem+json again.
    let raw = |body: &'static str, media: &'static str| {
        api.http
            .post(format!("{}/api/v1/pos/orders", api.base))
            .bearer_auth(&manager)
            .header("Idempotency-Key", format!("raw-{media}"))
            .header("content-type", media)
            .body(body)
    };
    for (body, media, status, kind) in [
        ("{\"order_type\": ", "application/json", 400, "/problems/bad-request"),
        (
            "order_type=takeout",
            "text/plain",
            415,
            "/problems/unsupported-media-type",
        ),
    ] {
        for attempt in ["first", "replayed"] {
            let response = raw(body, media).send().await.unwrap();
            assert_eq!(response.status(), status, "{attempt}");
            assert_eq!(content_type(&response), "application/problem+json");
            let replayed = response.headers().contains_key("idempotent-replayed");
            assert_eq!(replayed, attempt == "replayed");
            let problem: Value = response.json().await.expect("problem+json that parses");
            assert_eq!(problem["type"], kind, "{attempt}: {problem}");
        }
    }
    let serve_bad_id = || {
        api.send(
            "POST",
            "/api/v1/pos/orders/not-a-uuid/serve",
            Some(&manager),
            None,
            Some("bad-id"),
        )
    };
    let (status, bad_id) = serve_bad_id().await;
    assert_eq!(status, 400);
    let (again, replayed) = serve_bad_id().await;
    assert_eq!((again, &replayed), (400, &bad_id), "a replay reads as the first answer");
    server.stop().await;
}
