//! An organization's people through HTTP: a manager reads the invite code from the settings, a
//! newcomer registers with it and waits (pending) until a manager approves them with roles; roles
//! change, a user is deactivated (their live token stops working), one changes one's own password
//! (the old one stops working); settings change; every such action is an event naming who did it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use brigade_api::auth::tokens::Keys;
use brigade_api::http::{AppState, Config};
use serde_json::json;
use support::common::TestDb;
use support::{Api, Server};

const PASSWORD: &str = "the owner's long password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_register_approve_change_deactivate_and_own_password() {
    let db = TestDb::create("users_http").await;
    // Two servers on one database with one signing key, as behind a load balancer.
    let keys = Keys::random();
    let server = Server::start(AppState::new(db.store.clone(), None, keys.clone(), Config::default())).await;
    let other = Server::start(AppState::new(db.store.clone(), None, keys, Config::default())).await;
    let other_api = Api::new(&other.base);
    let api = Api::new(&server.base);
    let (status, org) = api
        .send(
            "POST",
            "/api/v1/organizations",
            None,
            Some(json!({"name": "Chez Test", "admin": {"username": "owner", "display_name": "Owner", "password": PASSWORD}})),
            None,
        )
        .await;
    assert_eq!(status, 201, "{org}");
    let org_id = org["id"].as_str().unwrap().to_owned();
    let owner = api.login("owner", PASSWORD).await;

    // The invite code, shown to managers.
    let settings = api
        .get(&format!("/api/v1/organizations/{org_id}/settings"), &owner)
        .await;
    let code = settings["invite_code"].as_str().unwrap().to_owned();
    assert_eq!(settings["settings"]["currency"], "USD", "{settings}");

    // Registration: a wrong code is 404, a short password 422; a good one is pending.
    let register = |code: &str, username: &str, password: &str| json!({"invite_code": code, "username": username, "display_name": "Leo", "password": password});
    let forged = format!("{}-00000000000000000000", code.split_once('-').unwrap().0);
    let (status, _) = api
        .send(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(register(&forged, "leo", "long enough password")),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = api
        .send(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(register(&code, "leo", "short")),
            None,
        )
        .await;
    assert_eq!(status, 422);
    let (status, leo) = api
        .send(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(register(&code, "leo", "long enough password")),
            None,
        )
        .await;
    assert_eq!(status, 201, "{leo}");
    let leo_id = leo["id"].as_str().unwrap().to_owned();
    let (status, taken) = api
        .send(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(register(&code, "leo", "another long password")),
            None,
        )
        .await;
    assert_eq!(status, 409, "{taken}");
    let (status, pending) = api
        .send(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "leo", "password": "long enough password"})),
            None,
        )
        .await;
    assert_eq!(status, 403, "pending until approved: {pending}");

    // A manager approves; Leo logs in with his roles and sees no invite code.
    api.ok(
        "POST",
        &format!("/api/v1/organizations/{org_id}/users/{leo_id}/approve"),
        &owner,
        json!({"roles": ["kitchen_staff"]}),
    )
    .await;
    let leo_token = api.login("leo", "long enough password").await;
    let mine = api
        .get(&format!("/api/v1/organizations/{org_id}/settings"), &leo_token)
        .await;
    assert!(mine["invite_code"].is_null(), "{mine}");
    let (status, _) = api
        .send(
            "GET",
            &format!("/api/v1/organizations/{org_id}/users"),
            Some(&leo_token),
            None,
            None,
        )
        .await;
    assert_eq!(status, 403, "users are the managers'");

    // Roles change; the user list shows it.
    api.ok(
        "PUT",
        &format!("/api/v1/organizations/{org_id}/users/{leo_id}"),
        &owner,
        json!({"roles": ["kitchen_staff", "processing_staff"], "display_name": "Leo Grill"}),
    )
    .await;
    let users = api.get(&format!("/api/v1/organizations/{org_id}/users"), &owner).await;
    let row = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == leo_id.as_str())
        .unwrap()
        .clone();
    let mut roles: Vec<&str> = row["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    roles.sort_unstable();
    assert_eq!(roles, ["kitchen_staff", "processing_staff"], "{row}");
    assert_eq!(row["profile"]["display_name"], "Leo Grill", "{row}");

    // Leo changes his own password: the wrong current one is refused, then the old one is dead.
    let (status, _) = api
        .send(
            "PUT",
            "/api/v1/auth/profile",
            Some(&leo_token),
            Some(json!({"current_password": "not it at all", "new_password": "a brand new password"})),
            None,
        )
        .await;
    assert_eq!(status, 403);
    api.ok(
        "PUT",
        "/api/v1/auth/profile",
        &leo_token,
        json!({"current_password": "long enough password", "new_password": "a brand new password"}),
    )
    .await;
    let (status, _) = api
        .send(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "leo", "password": "long enough password"})),
            None,
        )
        .await;
    assert_eq!(status, 401, "the old password no longer logs in");
    let leo_token = api.login("leo", "a brand new password").await;

    // Settings: the owner changes the tax rate; a bad timezone is 422; Leo may not.
    let mut changed = settings["settings"].clone();
    changed["tax_rate"] = json!("8.875");
    api.ok(
        "PUT",
        &format!("/api/v1/organizations/{org_id}/settings"),
        &owner,
        changed.clone(),
    )
    .await;
    changed["timezone"] = json!("Mars/Olympus");
    let (status, _) = api
        .send(
            "PUT",
            &format!("/api/v1/organizations/{org_id}/settings"),
            Some(&owner),
            Some(changed),
            None,
        )
        .await;
    assert_eq!(status, 422);
    let now = api
        .get(&format!("/api/v1/organizations/{org_id}/settings"), &owner)
        .await;
    assert_eq!(now["settings"]["tax_rate"], "8.875", "{now}");

    // Deactivated: Leo's live token stops working at once; the owner cannot deactivate himself.
    let owner_id = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["profile"]["username"] == "owner")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = api
        .send(
            "DELETE",
            &format!("/api/v1/organizations/{org_id}/users/{owner_id}"),
            Some(&owner),
            None,
            None,
        )
        .await;
    assert_eq!(status, 403, "nobody deactivates themself");
    let (status, _) = other_api
        .send("GET", "/api/v1/kitchen/orders", Some(&leo_token), None, None)
        .await;
    assert_eq!(status, 200, "the other server knows Leo as active");
    api.ok(
        "DELETE",
        &format!("/api/v1/organizations/{org_id}/users/{leo_id}"),
        &owner,
        serde_json::Value::Null,
    )
    .await;
    let (status, _) = api
        .send("GET", "/api/v1/kitchen/orders", Some(&leo_token), None, None)
        .await;
    assert_eq!(status, 403, "a deactivated user's token is refused");
    // The other server re-reads the deactivated users each second (the deadline is for a machine
    // under the whole suite's load, not the promise).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (status, _) = other_api
            .send("GET", "/api/v1/kitchen/orders", Some(&leo_token), None, None)
            .await;
        if status == 403 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            std::time::Instant::now() < deadline,
            "the other server still accepts the token"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // The audit trail names who did each of it.
    let trail = api.get(&format!("/api/v1/audit/streams/user-{leo_id}"), &owner).await;
    let types: Vec<&str> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "user.signed_up",
            "user.approved",
            "user.renamed",
            "user.roles_changed",
            "user.deactivated"
        ],
        "{trail}"
    );
    let actors: Vec<&str> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(
        actors,
        [leo_id.as_str(), &owner_id, &owner_id, &owner_id, &owner_id],
        "Leo signed himself up; the owner did the rest"
    );
    server.stop().await;
    other.stop().await;
}
