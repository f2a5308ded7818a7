//! `verify` from the built binary: an untouched store is clean; an edited payload, two swapped
//! versions, a deleted event and a deleted last event are each found and named by stream and
//! version, with a non-zero exit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use brigade_domain::catalog::MenuCategory;
use brigade_domain::order::Order;
use brigade_domain::stream_id;
use serde_json::{Value, json};
use support::common::TestDb;
use support::common::restaurant::Restaurant;
use support::{replay, tamper};

fn faults_of(report: &Value) -> Vec<(String, u64, String)> {
    report["faults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["stream_id"].as_str().unwrap().to_owned(),
                f["version"].as_u64().unwrap(),
                f["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn tampering_with_stored_events_is_detected_and_named() {
    let db = TestDb::create("verify_cli").await;
    let r = Restaurant::open(&db.store, Restaurant::morning()).await;
    let other = Restaurant::open(&db.store, Restaurant::morning()).await;
    let soup = r.dish("Soup", MenuCategory::Food, "7.50", "hot", &[]).await;
    let mut orders = Vec::new();
    for _ in 0..4 {
        orders.push(stream_id::<Order>(r.sell(soup, 1).await));
    }
    let tea = other.dish("Tea", MenuCategory::Beverage, "3.00", "bar", &[]).await;
    other.sell(tea, 2).await;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(db.pool())
        .await
        .unwrap();

    let clean = replay(&db.url, &["verify", "--json"]).await;
    assert_eq!(clean.code, 0, "{clean:?}");
    let report = clean.json();
    assert_eq!(report["events_checked"], json!(total));
    assert_eq!(report["faults"], json!([]));
    let text = replay(&db.url, &["verify"]).await;
    assert!(text.stdout.contains("every hash chain is intact"), "{text:?}");

    let (edited, swapped, holed, cut) = (&orders[0], &orders[1], &orders[2], &orders[3]);
    let last_of_cut: i64 = sqlx::query_scalar("SELECT max(version) FROM events WHERE stream_id = $1")
        .bind(cut)
        .fetch_one(db.pool())
        .await
        .unwrap();
    tamper(
        db.pool(),
        &format!("UPDATE events SET payload = '{{\"covers\":99}}' WHERE stream_id = '{edited}' AND version = 3"),
    )
    .await;
    tamper(
        db.pool(),
        &format!("UPDATE events SET version = -2 WHERE stream_id = '{swapped}' AND version = 2"),
    )
    .await;
    tamper(
        db.pool(),
        &format!("UPDATE events SET version = 2 WHERE stream_id = '{swapped}' AND version = 3"),
    )
    .await;
    tamper(
        db.pool(),
        &format!("UPDATE events SET version = 3 WHERE stream_id = '{swapped}' AND version = -2"),
    )
    .await;
    tamper(
        db.pool(),
        &format!("DELETE FROM events WHERE stream_id = '{holed}' AND version = 2"),
    )
    .await;
    tamper(
        db.pool(),
        &format!("DELETE FROM events WHERE stream_id = '{cut}' AND version = {last_of_cut}"),
    )
    .await;

    let run = replay(&db.url, &["verify", "--json"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    let mut faults = faults_of(&run.json());
    faults.sort();
    let mut expected = vec![
        (edited.clone(), 3, "altered".to_owned()),
        (swapped.clone(), 2, "altered".to_owned()),
        (swapped.clone(), 3, "reordered".to_owned()),
        // Untouched, but chained to the hash of the event that used to be version 3.
        (swapped.clone(), 4, "altered".to_owned()),
        (holed.clone(), 3, "missing".to_owned()),
        (cut.clone(), last_of_cut as u64, "truncated".to_owned()),
    ];
    expected.sort();
    assert_eq!(faults, expected);

    let text = replay(&db.url, &["verify"]).await;
    assert_eq!(text.code, 1);
    for needle in [
        format!("{edited} v3"),
        format!("{swapped} v3"),
        "ALTERED".into(),
        "REORDERED".into(),
        "MISSING    versions 2..2 are gone".into(),
        "TRUNCATED".into(),
    ] {
        assert!(text.stdout.contains(&needle), "{needle:?} in {}", text.stdout);
    }
    // The other tenant's chains are untouched.
    let theirs = replay(&db.url, &["verify", "--tenant", &other.tenant.0.to_string(), "--json"]).await;
    assert_eq!(theirs.code, 0, "{theirs:?}");
    assert_eq!(theirs.json()["faults"], json!([]));
}
