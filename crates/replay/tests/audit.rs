//! The auditor's questions, asked of the built binary: a stream's history, its state at a moment
//! or a version, what changed between two versions, and what one user or one request did across
//! streams. And bad input: one precise line, exit code 2, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use brigade_domain::catalog::MenuCategory;
use brigade_domain::customer::{Customer, CustomerCommand, CustomerProfile};
use brigade_domain::expense::{Expense, ExpenseCategory, RecordExpense};
use brigade_domain::ids::{CustomerId, ExpenseId, UserId};
use brigade_domain::order::{Order, OrderCommand};
use brigade_domain::{Actor, Context, Role, stream_id};
use brigade_eventstore::CommandMeta;
use chrono::{Duration, SecondsFormat};
use serde_json::{Value, json};
use support::common::TestDb;
use support::common::restaurant::{Restaurant, dec};
use support::replay;
use uuid::Uuid;

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[tokio::test]
async fn audit_stream_at_a_moment_returns_exactly_the_state_the_aggregate_had_then() {
    let db = TestDb::create("audit_at").await;
    let r = Restaurant::open(&db.store, Restaurant::morning()).await;
    let soup = r.dish("Soup", MenuCategory::Food, "7.50", "hot", &[]).await;
    let order = r.place_and_send(&[(soup, 2)], None).await;
    let stream = stream_id::<Order>(order);
    // After each command: the state the command handler itself loads.
    let mut seen = vec![r.store.load::<Order>(&stream).await.unwrap()];
    for command in [
        OrderCommand::SetPriority { rush: true },
        OrderCommand::StartTicket,
        OrderCommand::CompleteTicket,
        OrderCommand::Serve,
    ] {
        r.run::<Order>(order, command).await;
        seen.push(r.store.load::<Order>(&stream).await.unwrap());
    }
    let events = r.store.read_stream(&stream, 0, None).await.unwrap();
    assert_eq!(events.len() as u64, seen.last().unwrap().version);

    for loaded in &seen {
        let expected = serde_json::to_value(&loaded.state).unwrap();
        let this = &events[loaded.version as usize - 1];
        // At the very moment of its last event, and the last microsecond before the next one.
        let mut moments = vec![this.recorded_at];
        if let Some(next) = events.get(loaded.version as usize) {
            moments.push(next.recorded_at - Duration::microseconds(1));
        }
        for at in moments {
            let run = replay(&db.url, &["audit", "stream", &stream, "--at", &rfc3339(at), "--json"]).await;
            assert_eq!(run.code, 0, "{run:?}");
            let out = run.json();
            assert_eq!(out["version"], json!(loaded.version), "at {at}");
            assert_eq!(out["state"], expected, "state at {at} (version {})", loaded.version);
        }
    }
    // Before the stream existed: nothing.
    let before = rfc3339(events[0].recorded_at - Duration::microseconds(1));
    let run = replay(&db.url, &["audit", "stream", &stream, "--at", &before, "--json"]).await;
    assert_eq!(run.json()["version"], json!(0));
    let human = replay(&db.url, &["audit", "stream", &stream, "--at", &before]).await;
    assert!(human.stdout.contains("did not exist yet"), "{human:?}");
}

#[tokio::test]
async fn audit_stream_lists_history_and_shows_versions_and_diffs() {
    let db = TestDb::create("audit_stream").await;
    let r = Restaurant::open(&db.store, Restaurant::morning()).await;
    let soup = r.dish("Soup", MenuCategory::Food, "7.50", "hot", &[]).await;
    let order = r.sell(soup, 3).await;
    let stream = stream_id::<Order>(order);
    let events = r.store.read_stream(&stream, 0, None).await.unwrap();

    let listing = replay(&db.url, &["audit", "stream", &stream, "--json"]).await.json();
    let listed = listing["events"].as_array().unwrap();
    assert_eq!(listed.len(), events.len());
    for (shown, stored) in listed.iter().zip(&events) {
        let meta = stored.metadata().unwrap();
        assert_eq!(shown["version"], json!(stored.version));
        assert_eq!(shown["event_type"], json!(stored.event_type));
        assert_eq!(shown["actor"], json!(meta.command.actor));
        assert_eq!(shown["command_id"], json!(meta.command.command_id));
        assert_eq!(shown["correlation_id"], json!(meta.command.correlation_id));
        assert_eq!(
            shown["payload"],
            serde_json::from_str::<Value>(&stored.payload).unwrap()
        );
    }
    let text = replay(&db.url, &["audit", "stream", &stream]).await;
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains(&format!("{} events", events.len())), "{text:?}");
    assert!(text.stdout.contains("order.payment_captured"), "{text:?}");

    let at3 = replay(&db.url, &["audit", "stream", &stream, "--version", "3", "--json"])
        .await
        .json();
    let loaded = r.store.load_at_version::<Order>(&stream, Some(3)).await.unwrap();
    assert_eq!(at3["state"], serde_json::to_value(&loaded.state).unwrap());

    // Serving then paying: the status moves to served, a payment appears and the order closes;
    // the events that did it are named.
    let served = events.iter().position(|e| e.event_type == "order.served").unwrap() as u64 + 1;
    let last = events.len() as u64;
    let range = format!("{}..{last}", served - 1);
    let diff = replay(&db.url, &["audit", "stream", &stream, "--diff", &range, "--json"])
        .await
        .json();
    let changes = diff["changes"].as_array().unwrap();
    let change = |path: &str| {
        changes
            .iter()
            .find(|c| c["path"] == path)
            .unwrap_or_else(|| panic!("{path} changed: {changes:?}"))
            .clone()
    };
    assert_eq!(
        (change("/status")["before"].clone(), change("/status")["after"].clone()),
        (json!("ready"), json!("served"))
    );
    assert_eq!(
        (change("/closed")["before"].clone(), change("/closed")["after"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(change("/payments/0")["op"], json!("add"));
    let by: Vec<&str> = diff["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    let stored: Vec<&str> = events[served as usize - 1..]
        .iter()
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(by, stored);
    assert_eq!(by[0], "order.served");
    let text = replay(&db.url, &["audit", "stream", &stream, "--diff", &range]).await;
    assert!(
        text.stdout.contains("replace /status: \"ready\" -> \"served\""),
        "{text:?}"
    );

    // A stream whose first event was deleted behind the store's back is still found and shown.
    support::tamper(
        db.pool(),
        &format!("DELETE FROM events WHERE stream_id = '{stream}' AND version = 1"),
    )
    .await;
    let remains = replay(&db.url, &["audit", "stream", &stream, "--json"]).await.json();
    let versions: Vec<u64> = remains["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, (2..=last).collect::<Vec<u64>>());
}

#[tokio::test]
async fn audit_actor_and_correlation_find_everything_one_user_or_one_request_did() {
    let db = TestDb::create("audit_actor").await;
    let r = Restaurant::open(&db.store, Restaurant::morning()).await;
    let soup = r.dish("Soup", MenuCategory::Food, "7.50", "hot", &[]).await;
    r.sell(soup, 1).await; // by other users
    let user = UserId(Uuid::now_v7());
    let request = Uuid::now_v7();
    let ctx = Context::new(
        Actor {
            user_id: user,
            roles: vec![Role::Manager],
        },
        Restaurant::morning(),
    );
    let meta = |correlation| CommandMeta::direct(Uuid::now_v7(), correlation, Some(user));
    let customer = CustomerId(Uuid::now_v7());
    let profile = CustomerProfile {
        name: "Ada".into(),
        email: None,
        phone: None,
        preferences: None,
    };
    let customer_stream = stream_id::<Customer>(customer);
    r.store
        .execute::<Customer>(
            &customer_stream,
            &CustomerCommand::Register(profile),
            &ctx,
            &meta(request),
        )
        .await
        .unwrap();
    let expense = |amount: &str| RecordExpense {
        category: ExpenseCategory::Utilities,
        amount: brigade_domain::amount::Money::new(dec(amount)).unwrap(),
        date: Restaurant::morning().date_naive(),
        note: None,
    };
    let first_expense = stream_id::<Expense>(ExpenseId(Uuid::now_v7()));
    r.store
        .execute::<Expense>(&first_expense, &expense("120.00"), &ctx, &meta(request))
        .await
        .unwrap();
    let between = chrono::Utc::now();
    let second_expense = stream_id::<Expense>(ExpenseId(Uuid::now_v7()));
    r.store
        .execute::<Expense>(&second_expense, &expense("80.00"), &ctx, &meta(Uuid::now_v7()))
        .await
        .unwrap();
    r.sell(soup, 2).await; // by other users again

    let streams = |run: &support::Run| -> Vec<String> {
        run.json()["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["stream_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let by_user = replay(&db.url, &["audit", "actor", &user.0.to_string(), "--json"]).await;
    assert_eq!(
        streams(&by_user),
        [customer_stream.clone(), first_expense.clone(), second_expense.clone()]
    );
    let in_request = replay(&db.url, &["audit", "correlation", &request.to_string(), "--json"]).await;
    assert_eq!(streams(&in_request), [customer_stream.clone(), first_expense.clone()]);
    let later = replay(
        &db.url,
        &[
            "audit",
            "actor",
            &user.0.to_string(),
            "--from",
            &rfc3339(between),
            "--json",
        ],
    )
    .await;
    assert_eq!(streams(&later), std::slice::from_ref(&second_expense));
    let capped = replay(
        &db.url,
        &["audit", "actor", &user.0.to_string(), "--limit", "2", "--json"],
    )
    .await
    .json();
    assert_eq!(capped["events"].as_array().unwrap().len(), 2);
    assert_eq!(capped["truncated"], json!(true));
    let elsewhere = Uuid::now_v7().to_string();
    let other_tenant = replay(
        &db.url,
        &["audit", "actor", &user.0.to_string(), "--tenant", &elsewhere, "--json"],
    )
    .await;
    assert!(streams(&other_tenant).is_empty());
    let text = replay(&db.url, &["audit", "correlation", &request.to_string()]).await;
    assert!(
        text.stdout.contains("2 events") && text.stdout.contains("across 2 streams"),
        "{text:?}"
    );
}

#[tokio::test]
async fn bad_input_gets_one_precise_line_and_exit_code_2() {
    let db = TestDb::create("audit_errors").await;
    let r = Restaurant::open(&db.store, Restaurant::morning()).await;
    let soup = r.dish("Soup", MenuCategory::Food, "7.50", "hot", &[]).await;
    let order = stream_id::<Order>(r.sell(soup, 1).await);
    let url = db.url.as_str();

    replay(url, &["audit", "stream", "order-00000000-0000-0000-0000-000000000000"])
        .await
        .assert_refused("no stream \"order-00000000-0000-0000-0000-000000000000\"");
    replay(url, &["audit", "stream", &order, "--at", "noon"])
        .await
        .assert_refused("--at \"noon\" is not a time");
    replay(url, &["audit", "stream", &order, "--at", "2026-02-30"])
        .await
        .assert_refused("is not a time");
    replay(url, &["audit", "stream", &order, "--diff", "5..2"])
        .await
        .assert_refused("must be below");
    replay(url, &["audit", "stream", &order, "--diff", "one..two"])
        .await
        .assert_refused("is not a version range");
    replay(url, &["audit", "stream", &order, "--version", "999"])
        .await
        .assert_refused("is beyond its end");
    replay(url, &["audit", "stream", &order, "--tenant", "acme"])
        .await
        .assert_refused("--tenant \"acme\" is not a UUID");
    replay(url, &["audit", "actor", "maria"])
        .await
        .assert_refused("user \"maria\" is not a UUID");
    replay(
        url,
        &[
            "audit",
            "actor",
            &Uuid::now_v7().to_string(),
            "--from",
            "2026-11-21",
            "--to",
            "2026-11-20",
        ],
    )
    .await
    .assert_refused("--to");
    replay(url, &["verify", "--tenant", "x"])
        .await
        .assert_refused("is not a UUID");
    replay(url, &["rebuild", "kitchen"])
        .await
        .assert_refused("unknown read model \"kitchen\"");
    replay(url, &["import", "/nonexistent/events.ndjson"])
        .await
        .assert_refused("cannot open /nonexistent/events.ndjson");
    replay(url, &["export", "--category", "Order!"])
        .await
        .assert_refused("is not a stream category");
    let existing = tempfile::Builder::new()
        .prefix("brigade-existing-")
        .suffix(".ndjson")
        .tempfile()
        .unwrap();
    std::fs::write(existing.path(), "keep me\n").unwrap();
    replay(url, &["export", "--output", existing.path().to_str().unwrap()])
        .await
        .assert_refused("never overwritten");
    assert_eq!(std::fs::read_to_string(existing.path()).unwrap(), "keep me\n");

    // The database: unreachable, not a URL, not given. The password never shows.
    let unreachable = replay("postgres://brigade:s3cret@127.0.0.1:1/brigade", &["verify"]).await;
    unreachable.assert_refused("cannot connect to postgres://brigade:***@127.0.0.1:1/brigade");
    assert!(!unreachable.stderr.contains("s3cret"));
    replay("mysql://localhost/brigade", &["verify"])
        .await
        .assert_refused("is not a PostgreSQL URL");
    let mut unset = support::command("", &["verify"]);
    unset.env_remove("DATABASE_URL");
    let output = unset.output().unwrap();
    let run = support::Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    run.assert_refused("no database: set DATABASE_URL");
}
