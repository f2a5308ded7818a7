//! Identity through HTTP: log in with an argon2-hashed password, use the access token, rotate
//! the refresh token (a reused one ends the whole login), log out; pending and deactivated
//! accounts are refused; malformed bodies are problem+json.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use brigade_api::auth::tokens::Keys;
use brigade_api::auth::{password, sessions};
use brigade_api::http::{AppState, Config};
use brigade_domain::ids::{TenantId, UserId};
use brigade_domain::user::{User, UserCommand, UserProfile};
use brigade_domain::{Actor, Context, Role, stream_id};
use brigade_eventstore::{CommandMeta, EventStore};
use serde_json::{Value, json};
use support::Server;
use support::common::TestDb;
use uuid::Uuid;

struct Org {
    store: EventStore,
    tenant: TenantId,
    manager: Context,
}

impl Org {
    fn new(store: &EventStore) -> Org {
        let manager = Context::new(
            Actor {
                user_id: UserId(Uuid::now_v7()),
                roles: vec![Role::Manager],
            },
            chrono::Utc::now(),
        );
        Org {
            store: store.clone(),
            tenant: TenantId(Uuid::now_v7()),
            manager,
        }
    }

    async fn run(&self, user: UserId, command: UserCommand, ctx: &Context) {
        let meta = CommandMeta::direct(Uuid::now_v7(), Uuid::now_v7(), Some(ctx.actor.user_id));
        self.store
            .tenant(self.tenant)
            .execute::<User>(&stream_id::<User>(user), &command, ctx, &meta)
            .await
            .unwrap();
    }

    /// An active user with a login.
    async fn staff(&self, username: &str, password_text: &str, roles: &[Role]) -> UserId {
        let user = UserId(Uuid::now_v7());
        let profile = UserProfile {
            username: username.into(),
            display_name: username.to_uppercase(),
        };
        let command = UserCommand::Create {
            user_id: user,
            profile,
            roles: roles.to_vec(),
        };
        self.run(user, command, &self.manager.clone()).await;
        self.login_for(user, username, password_text).await;
        user
    }

    async fn login_for(&self, user: UserId, username: &str, password_text: &str) {
        let hash = password::hash(password_text.into()).await.unwrap();
        sessions::save_credential(self.store.pool(), user, self.tenant, username, &hash)
            .await
            .unwrap();
    }
}

async fn post(http: &reqwest::Client, url: &str, body: Value) -> (u16, Value) {
    let response = http.post(url).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_use_the_token_rotate_and_log_out() {
    let db = TestDb::create("auth").await;
    let server = Server::start(AppState::new(db.store.clone(), None, Keys::random(), Config::default())).await;
    let base = format!("{}/api/v1/auth", server.base);
    let http = reqwest::Client::new();
    let org = Org::new(&db.store);
    let maria = org.staff("maria", "s3cret-maria", &[Role::Manager]).await;

    // Log in.
    let (status, session) = post(
        &http,
        &format!("{base}/login"),
        json!({"username": "maria", "password": "s3cret-maria"}),
    )
    .await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["expires_in"], 900);
    assert_eq!(session["user"]["id"], json!(maria.0));
    assert_eq!(session["user"]["organization_id"], json!(org.tenant.0));
    assert_eq!(session["user"]["roles"], json!(["manager"]));
    let access = session["access_token"].as_str().unwrap().to_owned();
    let first_refresh = session["refresh_token"].as_str().unwrap().to_owned();

    // The access token opens the profile; nothing else does.
    let profile = http
        .get(format!("{base}/profile"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 200);
    assert_eq!(profile.json::<Value>().await.unwrap()["username"], "maria");
    for bad in [
        None,
        Some("not-a-jwt"),
        Some(
            Keys::random()
                .issue(maria, org.tenant, vec![Role::Manager], chrono::Utc::now())
                .unwrap()
                .leak() as &str,
        ),
    ] {
        let mut request = http.get(format!("{base}/profile"));
        if let Some(token) = bad {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }

    // Wrong password and unknown user: the same answer.
    let (status, wrong) = post(
        &http,
        &format!("{base}/login"),
        json!({"username": "maria", "password": "guess"}),
    )
    .await;
    let (status2, unknown) = post(
        &http,
        &format!("{base}/login"),
        json!({"username": "nobody", "password": "guess"}),
    )
    .await;
    assert_eq!((status, status2), (401, 401));
    assert_eq!(wrong["detail"], unknown["detail"]);

    // Rotation: each refresh token works once; a reused one ends the whole login.
    let (status, second) = post(
        &http,
        &format!("{base}/refresh"),
        json!({"refresh_token": first_refresh}),
    )
    .await;
    assert_eq!(status, 200, "{second}");
    let second_refresh = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first_refresh);
    let (status, reused) = post(
        &http,
        &format!("{base}/refresh"),
        json!({"refresh_token": first_refresh}),
    )
    .await;
    assert_eq!(status, 401);
    assert!(reused["detail"].as_str().unwrap().contains("used before"), "{reused}");
    let (status, _) = post(
        &http,
        &format!("{base}/refresh"),
        json!({"refresh_token": second_refresh}),
    )
    .await;
    assert_eq!(status, 401, "the reuse revoked the newer token of the same login too");

    // Logout ends the login; another login is untouched.
    let (_, one) = post(
        &http,
        &format!("{base}/login"),
        json!({"username": "maria", "password": "s3cret-maria"}),
    )
    .await;
    let (_, other) = post(
        &http,
        &format!("{base}/login"),
        json!({"username": "maria", "password": "s3cret-maria"}),
    )
    .await;
    let response = http
        .post(format!("{base}/logout"))
        .json(&json!({"refresh_token": one["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (status, _) = post(
        &http,
        &format!("{base}/refresh"),
        json!({"refresh_token": one["refresh_token"]}),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = post(
        &http,
        &format!("{base}/refresh"),
        json!({"refresh_token": other["refresh_token"]}),
    )
    .await;
    assert_eq!(status, 200);

    // Pending and deactivated accounts.
    let sam = UserId(Uuid::now_v7());
    let as_sam = Context::new(
        Actor {
            user_id: sam,
            roles: vec![],
        },
        chrono::Utc::now(),
    );
    let profile = UserProfile {
        username: "sam".into(),
        display_name: "Sam".into(),
    };
    org.run(sam, UserCommand::SignUp { profile }, &as_sam).await;
    org.login_for(sam, "sam", "s3cret-sam").await;
    let (status, pending) = post(
        &http,
        &format!("{base}/login"),
        json!({"username": "sam", "password": "s3cret-sam"}),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(pending["type"], "/problems/account-not-active");
    let kim = org.staff("kim", "s3cret-kim", &[Role::KitchenStaff]).await;
    let (_, kims) = post(
        &http,
        &format!("{base}/login"),
        json!({"username": "kim", "password": "s3cret-kim"}),
    )
    .await;
    org.run(kim, UserCommand::Deactivate, &org.manager.clone()).await;
    let (status, _) = post(
        &http,
        &format!("{base}/refresh"),
        json!({"refresh_token": kims["refresh_token"]}),
    )
    .await;
    assert_eq!(status, 403);
    let profile = http
        .get(format!("{base}/profile"))
        .bearer_auth(kims["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 403, "a deactivated user's profile is refused at once");

    // Malformed requests: problem+json with the right status.
    let cases: [(&str, &str, u16); 4] = [
        ("application/json", "{\"username\": \"maria\",", 400),
        ("application/json", "{\"username\": \"maria\"}", 422),
        (
            "application/json",
            "{\"username\": \"maria\", \"password\": \"x\", \"admin\": true}",
            422,
        ),
        ("text/plain", "username=maria", 415),
    ];
    for (content_type, body, expected) in cases {
        let response = http
            .post(format!("{base}/login"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), expected, "{body}");
        assert_eq!(response.headers()["content-type"], "application/problem+json", "{body}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_organization_and_its_admin_are_bootstrapped_over_http_then_bootstrap_closes() {
    let db = TestDb::create("bootstrap").await;
    let server = Server::start(AppState::new(
        db.store.clone(),
        None,
        Keys::random(),
        Config {
            bootstrap_secret: Some("open-sesame-for-the-second-one".into()),
            ..Config::default()
        },
    ))
    .await;
    let base = format!("{}/api/v1", server.base);
    let http = reqwest::Client::new();
    let body = |org: &str, username: &str, password: &str| json!({"name": org, "admin": {"username": username, "display_name": "Root", "password": password}});

    // Refusals change nothing: a short password, a bad username, a missing admin.
    for (request, expected) in [
        (body("Bistro", "root", "short"), 422),
        (body("Bistro", "Root Admin", "long-enough-password"), 422),
        (json!({"name": "Bistro"}), 422),
        (body("", "root", "long-enough-password"), 422),
    ] {
        let (status, problem) = post(&http, &format!("{base}/organizations"), request).await;
        assert_eq!(status, expected, "{problem}");
        assert!(problem["detail"].is_string(), "{problem}");
    }
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(events, 0);

    // The first one needs no secret.
    let (status, created) = post(
        &http,
        &format!("{base}/organizations"),
        body("Bistro", "root", "long-enough-password"),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert!(created["position"].as_i64().unwrap() > 0);
    assert_eq!(created["version"], 1);
    let (status, session) = post(
        &http,
        &format!("{base}/auth/login"),
        json!({"username": "root", "password": "long-enough-password"}),
    )
    .await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["user"]["organization_id"], created["id"]);
    assert_eq!(session["user"]["roles"], json!(["super_admin", "manager"]));
    // Recorded as the admin's own doing, in one command.
    let actors: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT event_type, metadata->>'actor' FROM events ORDER BY position")
            .fetch_all(db.pool())
            .await
            .unwrap();
    let admin = created["admin_id"].as_str().unwrap().to_owned();
    assert_eq!(
        actors,
        [
            ("organization.established".to_owned(), Some(admin.clone())),
            ("user.created".to_owned(), Some(admin))
        ]
    );

    // Then it is closed, except to the secret; usernames stay unique.
    let (status, _) = post(
        &http,
        &format!("{base}/organizations"),
        body("Other", "boss", "long-enough-password"),
    )
    .await;
    assert_eq!(status, 401);
    let with = |secret: &str, request: Value| {
        http.post(format!("{base}/organizations"))
            .header("X-Bootstrap-Secret", secret)
            .json(&request)
            .send()
    };
    let wrong = with("guess", body("Other", "boss", "long-enough-password"))
        .await
        .unwrap();
    // A wrong secret is told apart from a missing one (401 above).
    assert_eq!(wrong.status(), 403);
    let wrong: Value = wrong.json().await.unwrap();
    assert!(wrong["detail"].as_str().unwrap().contains("does not match"), "{wrong}");
    let taken = with(
        "open-sesame-for-the-second-one",
        body("Other", "root", "long-enough-password"),
    )
    .await
    .unwrap();
    assert_eq!(taken.status(), 409);
    let second = with(
        "open-sesame-for-the-second-one",
        body("Other", "boss", "long-enough-password"),
    )
    .await
    .unwrap();
    assert_eq!(second.status(), 201);
    let organizations: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'organization.established'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(organizations, 2, "the refused attempts wrote nothing");
    server.stop().await;
}

const ALL_ROLES: [Role; 8] = [
    Role::SuperAdmin,
    Role::Manager,
    Role::ProcurementManager,
    Role::StockController,
    Role::ProcessingStaff,
    Role::KitchenStaff,
    Role::PosOperator,
    Role::Accountant,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_against_every_route_of_the_access_table() {
    use brigade_api::access::{Access, allows, rules};
    let db = TestDb::create("access").await;
    let keys = Keys::random();
    let server = Server::start(AppState::new(db.store.clone(), None, keys.clone(), Config::default())).await;
    let base = server.base.clone();
    let http = reqwest::Client::new();
    let org = TenantId(Uuid::now_v7());

    // The table and the OpenAPI document name the same routes.
    let document: Value = http
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut documented: Vec<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let mut tabled: Vec<(String, String)> = rules().iter().map(|r| (r.method.clone(), r.path.clone())).collect();
    documented.sort();
    tabled.sort();
    assert_eq!(documented, tabled);

    let mut checked = 0;
    for rule in rules() {
        let path = rule
            .path
            .replace("{name}", "kitchen_queue")
            .replace("{stream_id}", &format!("order-{}", Uuid::now_v7()))
            .replace("{id}", &Uuid::now_v7().to_string());
        let url = format!("{base}{path}");
        let method = reqwest::Method::from_bytes(rule.method.as_bytes()).unwrap();
        let request = |token: Option<String>| {
            let mut r = http.request(method.clone(), &url).json(&json!({}));
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            r.send()
        };
        let anonymous = request(None).await.unwrap().status().as_u16();
        if rule.access == Access::Public {
            assert!(
                anonymous != 401 && anonymous != 403,
                "{} {}: {anonymous}",
                rule.method,
                rule.path
            );
        } else {
            assert_eq!(anonymous, 401, "{} {} without a token", rule.method, rule.path);
        }
        for role in ALL_ROLES {
            let token = keys
                .issue(UserId(Uuid::now_v7()), org, vec![role], chrono::Utc::now())
                .unwrap();
            let status = request(Some(token)).await.unwrap().status().as_u16();
            if allows(rule.access, &[role]) {
                assert_ne!(status, 403, "{} {} as {role:?}", rule.method, rule.path);
            } else {
                assert_eq!(status, 403, "{} {} as {role:?}", rule.method, rule.path);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, rules().len() * ALL_ROLES.len());

    // What the screens read to draw only what a role may do: for each role, exactly the routes
    // the table opens to it (the operator's never: no user holds the operator token).
    for role in ALL_ROLES {
        let token = keys
            .issue(UserId(Uuid::now_v7()), org, vec![role], chrono::Utc::now())
            .unwrap();
        let answer: Value = http
            .get(format!("{base}/api/v1/auth/permissions"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut listed: Vec<(String, String)> = answer["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["method"].as_str().unwrap().to_owned(),
                    r["path"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let mut open: Vec<(String, String)> = rules()
            .iter()
            .filter(|r| r.access != Access::Operator && allows(r.access, &[role]))
            .map(|r| (r.method.clone(), r.path.clone()))
            .collect();
        listed.sort();
        open.sort();
        assert_eq!(listed, open, "{role:?}'s permissions");
        assert!(!listed.iter().any(|(_, p)| p.starts_with("/api/v1/admin")), "{role:?}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_of_another_organization_is_not_found_and_operations_are_the_operators() {
    const OPERATOR: &str = "operator-token-for-this-test";
    let db = TestDb::create("tenancy").await;
    let keys = Keys::random();
    let config = Config {
        operator_token: Some(OPERATOR.into()),
        ..Config::default()
    };
    let server = Server::start(AppState::new(db.store.clone(), None, keys.clone(), config)).await;
    let base = format!("{}/api/v1", server.base);
    let http = reqwest::Client::new();
    let (a, b) = (Org::new(&db.store), Org::new(&db.store));
    let kim = a.staff("kim", "s3cret-kim-kim", &[Role::KitchenStaff]).await;
    let stream = stream_id::<User>(kim);
    let token = |org: &Org, role: Role| {
        keys.issue(org.manager.actor.user_id, org.tenant, vec![role], chrono::Utc::now())
            .unwrap()
    };

    let mine = http
        .get(format!("{base}/audit/streams/{stream}"))
        .bearer_auth(token(&a, Role::Manager))
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 200);
    let events: Value = mine.json().await.unwrap();
    assert_eq!(events[0]["event_type"], "user.created");
    assert_eq!(events[0]["actor"], json!(a.manager.actor.user_id.0));
    let theirs = http
        .get(format!("{base}/audit/streams/{stream}"))
        .bearer_auth(token(&b, Role::Manager))
        .send()
        .await
        .unwrap();
    assert_eq!(
        theirs.status(),
        404,
        "another organization's stream is not found, not forbidden"
    );
    assert_eq!(theirs.headers()["content-type"], "application/problem+json");
    let missing = http
        .get(format!("{base}/audit/streams/order-{}", Uuid::now_v7()))
        .bearer_auth(token(&a, Role::Manager))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // The projections are the installation's: the operator token opens them, and no
    // organization's user does, not even its super admin.
    let admin_get = |token: String| http.get(format!("{base}/admin/projections")).bearer_auth(token).send();
    let projections = admin_get(OPERATOR.into()).await.unwrap();
    assert_eq!(projections.status(), 200);
    assert!(projections.json::<Value>().await.unwrap().is_array());
    for role in [Role::SuperAdmin, Role::Manager] {
        let refused = admin_get(token(&a, role)).await.unwrap();
        assert_eq!(refused.status(), 403, "{role:?}");
        let problem: Value = refused.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains("operator"), "{problem}");
    }
    let wrong = admin_get("not-the-operator-token".into()).await.unwrap();
    assert_eq!(wrong.status(), 403);
    let anonymous = http.get(format!("{base}/admin/projections")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let retry_as_admin = http
        .post(format!("{base}/admin/projections/kitchen_queue/retry"))
        .bearer_auth(token(&a, Role::SuperAdmin))
        .send()
        .await
        .unwrap();
    assert_eq!(
        retry_as_admin.status(),
        403,
        "no organization may retry the installation's projections"
    );
    let unknown = http
        .post(format!("{base}/admin/projections/nope/retry"))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_is_rate_limited_on_their_own_and_health_is_not() {
    let db = TestDb::create("rate_limit").await;
    let keys = Keys::random();
    let config = Config {
        rate_per_second: 1,
        rate_burst: 3,
        ..Config::default()
    };
    let server = Server::start(AppState::new(db.store.clone(), None, keys.clone(), config)).await;
    let base = server.base.clone();
    let http = reqwest::Client::new();
    let org = TenantId(Uuid::now_v7());
    let token = |user: UserId| keys.issue(user, org, vec![Role::Manager], chrono::Utc::now()).unwrap();
    let (kim, carl) = (token(UserId(Uuid::now_v7())), token(UserId(Uuid::now_v7())));
    let profile = |t: &str| {
        http.get(format!("{base}/api/v1/auth/profile"))
            .bearer_auth(t.to_owned())
            .send()
    };

    for _ in 0..3 {
        assert_ne!(profile(&kim).await.unwrap().status(), 429);
    }
    let limited = profile(&kim).await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "1");
    assert_eq!(limited.headers()["content-type"], "application/problem+json");
    assert_ne!(
        profile(&carl).await.unwrap().status(),
        429,
        "another user has their own budget"
    );
    for _ in 0..10 {
        assert_eq!(
            http.get(format!("{base}/health/live")).send().await.unwrap().status(),
            200
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_ne!(profile(&kim).await.unwrap().status(), 429, "the budget refills");
    server.stop().await;
}
