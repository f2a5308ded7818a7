//! Tamper evidence: edits and deletions made behind the store's back are found and named.
#![allow(clippy::unwrap_used)]

use brigade_testkit::events as common;

use brigade_eventstore::{EventStore, ExpectedVersion, FaultKind};
use common::{append, meta, stream, tenant};
use sqlx::PgPool;

async fn three_streams(store: &EventStore) -> Vec<String> {
    let t = store.tenant(tenant());
    let streams = vec![stream("order"), stream("order"), stream("stock")];
    for s in &streams {
        t.append(&meta(), &[append(s, ExpectedVersion::NoStream, 4)])
            .await
            .unwrap();
    }
    streams
}

/// Tampering needs a superuser to switch the immutability trigger off first.
async fn tamper(pool: &PgPool, sql: &str, stream_id: &str, version: i64) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_immutable")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(sql)
        .bind(stream_id)
        .bind(version)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE events ENABLE TRIGGER events_immutable")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_untouched_store_verifies_clean(pool: PgPool) {
    let store = EventStore::new(pool);
    three_streams(&store).await;
    let mut batches = 0;
    let report = store.verify(None, |_| batches += 1).await.unwrap();
    assert_eq!(report.events_checked, 12);
    assert_eq!(report.streams_checked, 3);
    assert!(report.faults.is_empty(), "{:?}", report.faults);
    assert!(batches >= 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn events_cannot_be_updated_or_deleted_through_sql(pool: PgPool) {
    let store = EventStore::new(pool.clone());
    let streams = three_streams(&store).await;
    let update = sqlx::query("UPDATE events SET payload = '{}' WHERE stream_id = $1")
        .bind(&streams[0])
        .execute(&pool)
        .await;
    let delete = sqlx::query("DELETE FROM events WHERE stream_id = $1")
        .bind(&streams[0])
        .execute(&pool)
        .await;
    for result in [update, delete] {
        let err = result.unwrap_err();
        assert_eq!(err.as_database_error().and_then(|e| e.code()).as_deref(), Some("BR403"));
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_altered_payload_is_detected_and_named(pool: PgPool) {
    let store = EventStore::new(pool.clone());
    let streams = three_streams(&store).await;
    let victim: uuid::Uuid = sqlx::query_scalar("SELECT event_id FROM events WHERE stream_id = $1 AND version = 2")
        .bind(&streams[1])
        .fetch_one(&pool)
        .await
        .unwrap();
    tamper(
        &pool,
        r#"UPDATE events SET payload = '{"n": 999}' WHERE stream_id = $1 AND version = $2"#,
        &streams[1],
        2,
    )
    .await;

    let report = store.verify(None, |_| {}).await.unwrap();
    assert_eq!(report.faults.len(), 1, "{:?}", report.faults);
    let fault = &report.faults[0];
    assert_eq!((fault.stream_id.as_str(), fault.version), (streams[1].as_str(), 2));
    assert_eq!(fault.kind, FaultKind::Altered { event_id: victim });
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_recomputed_hash_breaks_the_link_to_the_next_event(pool: PgPool) {
    let store = EventStore::new(pool.clone());
    let streams = three_streams(&store).await;
    // A careful forger also recomputes the altered event's own hash; the next event still names it.
    tamper(
        &pool,
        r#"UPDATE events SET payload = '{"n": 5}', hash = sha256(hash) WHERE stream_id = $1 AND version = $2"#,
        &streams[0],
        3,
    )
    .await;
    let report = store.verify(None, |_| {}).await.unwrap();
    let versions: Vec<u64> = report
        .faults
        .iter()
        .filter(|f| f.stream_id == streams[0])
        .map(|f| f.version)
        .collect();
    assert!(versions.contains(&3) && versions.contains(&4), "{:?}", report.faults);
}

#[sqlx::test(migrations = "../../migrations")]
async fn deleted_events_are_reported_missing(pool: PgPool) {
    let store = EventStore::new(pool.clone());
    let streams = three_streams(&store).await;
    tamper(
        &pool,
        "DELETE FROM events WHERE stream_id = $1 AND version = $2",
        &streams[2],
        2,
    )
    .await;
    tamper(
        &pool,
        "DELETE FROM events WHERE stream_id = $1 AND version = $2",
        &streams[0],
        4,
    )
    .await;

    let report = store.verify(None, |_| {}).await.unwrap();
    assert!(
        report
            .faults
            .iter()
            .any(|f| f.stream_id == streams[2] && f.kind == FaultKind::Missing { from_version: 2 })
    );
    assert!(report.faults.iter().any(|f| f.stream_id == streams[0]
        && f.kind
            == FaultKind::Truncated {
                recorded_version: 4,
                last_event_version: 3
            }));
    assert!(report.faults.iter().all(|f| f.stream_id != streams[1]));
}

#[sqlx::test(migrations = "../../migrations")]
async fn verification_can_be_limited_to_one_tenant(pool: PgPool) {
    let store = EventStore::new(pool.clone());
    let mine = store.tenant(tenant());
    let s = stream("order");
    mine.append(&meta(), &[append(&s, ExpectedVersion::NoStream, 2)])
        .await
        .unwrap();
    three_streams(&store).await;
    let report = store.verify(Some(mine.tenant_id()), |_| {}).await.unwrap();
    assert_eq!((report.events_checked, report.streams_checked), (2, 1));
}
