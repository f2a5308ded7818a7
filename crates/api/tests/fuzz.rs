//! Property-based fuzzing of every command route (every POST, PUT and DELETE of the access
//! table): random JSON, and objects made of the API's own field names with hostile values
//! (negative, absurd and malformed amounts, wrong types, huge strings, other ids), sent with a
//! super admin's token to paths naming real resources, random ids or no id at all. No answer may
//! be a 5xx, every error must be problem+json, and the server must still answer afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use brigade_api::access::rules;
use brigade_api::auth::tokens::Keys;
use brigade_api::http::{AppState, Config};
use brigade_domain::Role;
use brigade_domain::ids::{TenantId, UserId};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use support::common::TestDb;
use support::{Api, Server};
use uuid::Uuid;

/// Requests per command route (about 50 routes, a few milliseconds each).
const CASES_PER_ROUTE: u32 = 64;

const FIELDS: &[&str] = &[
    "name",
    "sku",
    "unit",
    "category",
    "minimum_stock",
    "maximum_stock",
    "sell_price",
    "station",
    "recipe",
    "inventory_item_id",
    "quantity",
    "order_type",
    "table",
    "covers",
    "customer_id",
    "number",
    "lines",
    "menu_item_id",
    "modifications",
    "notes",
    "kind",
    "value",
    "reason",
    "order_id",
    "method",
    "amount",
    "tip",
    "payment_id",
    "rush",
    "supplier_id",
    "unit_price",
    "unit_cost",
    "expected_on",
    "allow_over_receipt",
    "from",
    "to",
    "department",
    "note",
    "date",
    "email",
    "phone",
    "preferences",
    "contact",
    "payment_terms",
    "username",
    "password",
    "display_name",
    "roles",
    "invite_code",
    "settings",
    "currency",
    "tax_rate",
    "timezone",
    "discount_limit",
    "refresh_token",
    "current_password",
    "new_password",
    "admin",
];

fn hostile_scalar(ids: Vec<String>) -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(null)),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(vec![
            "-1",
            "0",
            "0.001",
            "-0.01",
            "1e30",
            "99999999999999999999999999999",
            "12.345",
            "NaN",
            "",
            " ",
            "1,50",
            "dine_in",
            "card",
            "food",
            "kitchen",
            "bar",
            "grill",
            "spoilage",
            "labor",
            "fifo",
            "manager",
            "super_admin",
            "2026-02-30",
            "2026-11-21",
            "x".repeat(5000).leak(),
        ])
        .prop_map(Value::from),
        prop::sample::select(ids).prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::from),
    ]
}

fn hostile_value(ids: Vec<String>) -> impl Strategy<Value = Value> {
    hostile_scalar(ids.clone()).prop_recursive(3, 24, 6, move |inner| {
        let ids = ids.clone();
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec((prop::sample::select(FIELDS), inner), 0..6).prop_map(|pairs| {
                Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>())
            }),
            prop::sample::select(ids).prop_map(|id| json!({"inventory_item_id": id, "quantity": "1"})),
        ]
    })
}

/// A valid body of each route that takes one (`ids`: inventory item, menu item, supplier, order,
/// purchase order, organization, random), so that mutations of it reach past parsing.
fn template(path: &str, ids: &[String]) -> Option<Value> {
    let (item, dish, supplier, order) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    let line = json!({"inventory_item_id": item, "quantity": "2"});
    Some(match path {
        "/api/v1/stock/inventory" => {
            json!({"sku": "SALT", "name": "Salt", "unit": "kg", "category": "food", "minimum_stock": "1", "maximum_stock": "9"})
        }
        "/api/v1/stock/inventory/{id}" => json!({"name": "Salt", "category": "food", "minimum_stock": "1"}),
        "/api/v1/procurement/suppliers" | "/api/v1/procurement/suppliers/{id}" => {
            json!({"name": "Mill", "contact": "a@b.example", "payment_terms": "net 30"})
        }
        "/api/v1/menu/items" | "/api/v1/menu/items/{id}" => json!({"name": "Bread", "category": "food",
            "sell_price": "4.00", "station": "pastry", "recipe": [{"inventory_item_id": item, "quantity": "0.1"}]}),
        "/api/v1/pos/orders" => json!({"order_type": "dine_in", "table": 3, "covers": 2,
            "lines": [{"menu_item_id": dish, "quantity": 2, "modifications": ["no salt"], "notes": "x"}]}),
        "/api/v1/pos/orders/{id}/items" => json!({"menu_item_id": dish, "quantity": 1}),
        "/api/v1/pos/orders/{id}/discounts" => json!({"kind": "percent", "value": "5", "reason": "regular"}),
        "/api/v1/pos/orders/{id}/cancel" | "/api/v1/procurement/purchase-orders/{id}/reject" => json!({"reason": "no"}),
        "/api/v1/pos/customers" | "/api/v1/pos/customers/{id}" => json!({"name": "Ada", "email": "ada@example.com"}),
        "/api/v1/pos/payments/process" => json!({"order_id": order, "method": "card", "amount": "1.00", "tip": "0.50"}),
        "/api/v1/pos/payments/refund" => json!({"payment_id": order, "amount": "1.00", "reason": "cold"}),
        "/api/v1/kitchen/orders/{id}/priority" => json!({"rush": true}),
        "/api/v1/procurement/purchase-orders" => json!({"supplier_id": supplier,
            "lines": [{"inventory_item_id": item, "quantity": "5", "unit_price": "1.00"}], "expected_on": "2026-12-01"}),
        "/api/v1/procurement/purchase-orders/{id}" => {
            json!({"lines": [{"inventory_item_id": item, "quantity": "5", "unit_price": "1.00"}]})
        }
        "/api/v1/procurement/purchase-orders/{id}/receive" => json!({"lines":
            [{"inventory_item_id": item, "quantity": "5", "unit_cost": "1.10"}], "allow_over_receipt": false}),
        "/api/v1/stock/transfers" => json!({"from": "procurement", "to": "stock", "lines": [line], "notes": "x"}),
        "/api/v1/stock/transfers/{id}/validate" => json!({"lines": [line]}),
        "/api/v1/stock/adjustments" => {
            json!({"inventory_item_id": item, "department": "kitchen", "quantity": "-1", "reason": "spoilage"})
        }
        "/api/v1/accounting/expenses" => json!({"category": "labor", "amount": "10.00", "date": "2026-11-21"}),
        "/api/v1/organizations/{id}/settings" => json!({"currency": "USD", "tax_rate": "10", "timezone": "UTC",
            "kitchen_amber_after_secs": 300, "kitchen_red_after_secs": 480, "discount_limit": "10",
            "loyalty_points_per_unit": "1"}),
        "/api/v1/organizations/{id}/users" => json!({"username": "fuzzed.user", "display_name": "F",
            "password": "a long password", "roles": ["kitchen_staff"]}),
        "/api/v1/organizations/{id}/users/{user_id}" => json!({"roles": ["manager"], "display_name": "G"}),
        "/api/v1/organizations/{id}/users/{user_id}/approve" => json!({"roles": ["pos_operator"]}),
        "/api/v1/auth/profile" => json!({"display_name": "Me"}),
        _ => return None,
    })
}

/// Replaces the value at a random place of `doc` (nested lines included), drops it, or adds an
/// unknown field beside it.
fn mutate(doc: &mut Value, pick: usize, op: u8, hostile: Value) {
    // Every place of the document as a JSON pointer ("" is the whole body).
    fn walk(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => map.iter().for_each(|(k, c)| walk(c, format!("{at}/{k}"), out)),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, c)| walk(c, format!("{at}/{i}"), out)),
            _ => {}
        }
        out.push(at);
    }
    let mut places = Vec::new();
    walk(doc, String::new(), &mut places);
    let Some(target) = doc.pointer_mut(&places[pick % places.len()]) else {
        return;
    };
    match (op % 3, target) {
        (1, Value::Object(map)) if !map.is_empty() => {
            let key = map.keys().nth(pick % map.len()).cloned().unwrap_or_default();
            map.remove(&key);
        }
        (2, Value::Object(map)) => {
            map.insert("unexpected".into(), hostile);
        }
        (_, target) => *target = hostile,
    }
}

/// A body: absent, not JSON at all, any JSON, an object of the API's field names, or the route's
/// valid body with one hostile change (as `Err` for raw text, `Ok` for JSON; the template is
/// filled in by the test, which knows the route).
#[derive(Clone, Debug)]
enum Body {
    None,
    Raw(String),
    Json(Value),
    Mutated { pick: usize, op: u8, hostile: Value },
}

fn body(ids: Vec<String>) -> impl Strategy<Value = Body> {
    prop_oneof![
        1 => Just(Body::None),
        1 => "\\PC{0,30}".prop_map(Body::Raw),
        1 => hostile_value(ids.clone()).prop_map(Body::Json),
        3 => prop::collection::vec((prop::sample::select(FIELDS), hostile_value(ids.clone())), 0..8)
            .prop_map(|pairs| Body::Json(Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))),
        6 => (any::<usize>(), any::<u8>(), hostile_value(ids))
            .prop_map(|(pick, op, hostile)| Body::Mutated { pick, op, hostile }),
    ]
}

#[test]
fn no_request_body_makes_a_command_route_fail_with_a_5xx() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (db, server, token, ids) = runtime.block_on(async {
        let db = TestDb::create("fuzz_http").await;
        let keys = Keys::random();
        let config = Config {
            rate_per_second: 100_000,
            rate_burst: 100_000,
            ..Config::default()
        };
        let server = Server::start(AppState::new(db.store.clone(), None, keys.clone(), config)).await;
        let org = TenantId(Uuid::now_v7());
        let token = keys
            .issue(UserId(Uuid::now_v7()), org, vec![Role::SuperAdmin], chrono::Utc::now())
            .unwrap();
        // Real resources, so that paths and bodies reach past "not found".
        let api = Api::new(&server.base);
        let item = api
            .created(
                "/api/v1/stock/inventory",
                &token,
                json!({"sku": "FLOUR", "name": "Flour", "unit": "kg", "category": "food", "minimum_stock": "1"}),
            )
            .await;
        let dish = api
            .created(
                "/api/v1/menu/items",
                &token,
                json!({"name": "Bread", "category": "food", "sell_price": "4.00", "station": "pastry",
                       "recipe": [{"inventory_item_id": item, "quantity": "0.1"}]}),
            )
            .await;
        let supplier = api
            .created("/api/v1/procurement/suppliers", &token, json!({"name": "Mill"}))
            .await;
        let order = api
            .created(
                "/api/v1/pos/orders",
                &token,
                json!({"order_type": "takeout", "lines": [{"menu_item_id": dish, "quantity": 1}]}),
            )
            .await;
        let po = api
            .created(
                "/api/v1/procurement/purchase-orders",
                &token,
                json!({"supplier_id": supplier, "lines": [{"inventory_item_id": item, "quantity": "5", "unit_price": "1.00"}]}),
            )
            .await;
        let ids = vec![item, dish, supplier, order, po, org.0.to_string(), Uuid::now_v7().to_string()];
        (db, server, token, ids)
    });
    let routes: Vec<_> = rules()
        .iter()
        .filter(|r| matches!(r.method.as_str(), "POST" | "PUT" | "DELETE"))
        .collect();
    assert!(routes.len() >= 40, "{} command routes", routes.len());
    let api = Api::new(&server.base);
    let path_ids = prop_oneof![
        4 => prop::sample::select(ids.clone()),
        1 => Just("not-a-uuid".to_owned()),
        1 => Just("00000000-0000-0000-0000-000000000000".to_owned()),
    ];
    let strategy = (path_ids, body(ids.clone()), prop::option::of("[a-z0-9]{1,8}"));
    let seen = std::sync::Mutex::new(std::collections::BTreeMap::<u16, u32>::new());
    // Every route gets its own run of cases (a random pick of routes would leave some thin).
    for rule in routes {
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: CASES_PER_ROUTE,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        runner
            .run(&strategy, |(id, body, key)| {
                let path = rule
                    .path
                    .split('/')
                    .map(|segment| if segment.starts_with('{') { id.as_str() } else { segment })
                    .collect::<Vec<_>>()
                    .join("/");
                let (status, content_type, answer) = runtime.block_on(async {
                    let method = reqwest::Method::from_bytes(rule.method.as_bytes()).unwrap();
                    let mut request = api
                        .http
                        .request(method, format!("{}{path}", api.base))
                        .bearer_auth(&token);
                    if let Some(key) = &key {
                        request = request.header("Idempotency-Key", key);
                    }
                    request = match &body {
                        Body::None => request,
                        Body::Json(json) => request.json(json),
                        Body::Raw(text) => request.header("content-type", "application/json").body(text.clone()),
                        Body::Mutated { pick, op, hostile } => match template(&rule.path, &ids) {
                            Some(mut doc) => {
                                mutate(&mut doc, *pick, *op, hostile.clone());
                                request.json(&doc)
                            }
                            None => request.json(hostile),
                        },
                    };
                    let response = request.send().await.unwrap();
                    let status = response.status().as_u16();
                    let content_type = response
                        .headers()
                        .get("content-type")
                        .map(|v| v.to_str().unwrap_or_default().to_owned())
                        .unwrap_or_default();
                    (status, content_type, response.text().await.unwrap())
                });
                *seen.lock().unwrap().entry(status).or_default() += 1;
                prop_assert!(
                    status < 500,
                    "{} {path} with {body:?} answered {status}: {answer}",
                    rule.method
                );
                if status >= 400 {
                    prop_assert_eq!(
                        content_type.as_str(),
                        "application/problem+json",
                        "{} {}: {}",
                        rule.method,
                        path,
                        answer
                    );
                }
                Ok(())
            })
            .unwrap();
    }
    println!("answers by status: {:?}", seen.lock().unwrap());
    runtime.block_on(async {
        let (status, _) = api.send("GET", "/health/live", None, None, None).await;
        assert_eq!(status, 200, "the server still answers");
        server.stop().await;
        drop(db);
    });
}
