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

/// What someone with superuser rights could do: change an event, then recompute the stream's
/// whole hash chain with PostgreSQL's own sha256, so the chain looks intact.
fn rewrite_and_rehash(stream: &str, version: i64) -> String {
    format!(
        "DO $$ \
         DECLARE r record; prev bytea := NULL; d bytea; h bytea; \
         BEGIN \
           UPDATE events SET payload = '{{\"covers\":12}}' WHERE stream_id = '{stream}' AND version = {version}; \
           FOR r IN SELECT event_id, tenant_id, stream_id, version, event_type, schema_version, \
                           payload::text AS p, metadata::text AS m, \
                           (extract(epoch FROM recorded_at) * 1000000)::bigint AS micros \
                    FROM events WHERE stream_id = '{stream}' ORDER BY version LOOP \
             d := sha256(convert_to(r.tenant_id::text || E'\\n' || r.stream_id || E'\\n' || r.event_id::text || E'\\n' \
                  || r.event_type || E'\\n' || r.schema_version::text || E'\\n' || r.p || E'\\n' || r.m, 'UTF8')); \
             h := sha256(coalesce(prev, ''::bytea) || d || convert_to(r.version::text || E'\\n' || r.micros::text, 'UTF8')); \
             UPDATE events SET hash = h WHERE event_id = r.event_id; \
             prev := h; \
           END LOOP; \
         END $$"
    )
}

#[tokio::test]
async fn a_seal_kept_outside_the_database_exposes_a_rewrite_with_recomputed_hashes() {
    let db = TestDb::create("verify_seal").await;
    let r = Restaurant::open(&db.store, Restaurant::morning()).await;
    let soup = r.dish("Soup", MenuCategory::Food, "7.50", "hot", &[]).await;
    let victim = stream_id::<Order>(r.sell(soup, 1).await);
    r.sell(soup, 2).await;
    let dir = tempfile::Builder::new().prefix("brigade-seal-").tempdir().unwrap();
    let seal = dir.path().join("seal.json");
    let seal_path = seal.to_str().unwrap();

    let sealed = replay(&db.url, &["verify", "--seal", seal_path, "--json"]).await;
    assert_eq!(sealed.code, 0, "{sealed:?}");
    let streams: i64 = sqlx::query_scalar("SELECT count(DISTINCT stream_id) FROM events")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(sealed.json()["sealed"]["streams"], json!(streams));
    replay(&db.url, &["verify", "--seal", seal_path])
        .await
        .assert_refused("the file exists (a seal is never overwritten)");

    // Business goes on after the seal: that is not a fault.
    r.sell(soup, 3).await;
    let after = replay(&db.url, &["verify", "--against", seal_path]).await;
    assert_eq!(after.code, 0, "{after:?}");
    assert!(
        after.stdout.contains("nothing before the seal was rewritten"),
        "{after:?}"
    );

    // The rewrite: the chain alone no longer sees it...
    let sealed_version: i64 = sqlx::query_scalar("SELECT max(version) FROM events WHERE stream_id = $1")
        .bind(&victim)
        .fetch_one(db.pool())
        .await
        .unwrap();
    tamper(db.pool(), &rewrite_and_rehash(&victim, 1)).await;
    let plain = replay(&db.url, &["verify", "--json"]).await;
    assert_eq!(plain.code, 0, "the recomputed chain looks intact: {plain:?}");
    // ...the seal does, at the version it recorded.
    let run = replay(&db.url, &["verify", "--against", seal_path, "--json"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        faults_of(&run.json()),
        [(victim.clone(), sealed_version as u64, "seal_broken".to_owned())]
    );
    let text = replay(&db.url, &["verify", "--against", seal_path]).await;
    assert!(text.stdout.contains("history before it was REWRITTEN"), "{text:?}");
    assert!(text.stdout.contains(&format!("{victim} v{sealed_version}")), "{text:?}");

    // A seal whose heads were edited is refused, not trusted.
    let edited = dir.path().join("edited.json");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&seal).unwrap()).unwrap();
    doc["heads"][0]["version"] = json!(999);
    std::fs::write(&edited, doc.to_string()).unwrap();
    replay(&db.url, &["verify", "--against", edited.to_str().unwrap()])
        .await
        .assert_refused("the seal file was edited");
}
