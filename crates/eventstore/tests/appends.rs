//! Writing: optimistic concurrency, atomic multi-stream appends, idempotency, tenancy.
#![allow(clippy::unwrap_used)]

use brigade_testkit::events as common;

use brigade_eventstore::{EventStore, ExpectedVersion, StoreError};
use common::{append, meta, stream, tenant};
use sqlx::PgPool;

#[sqlx::test(migrations = "../../migrations")]
async fn versions_are_contiguous_and_positions_increase(pool: PgPool) {
    let store = EventStore::new(pool).tenant(tenant());
    let s = stream("counter");
    let first = store
        .append(&meta(), &[append(&s, ExpectedVersion::NoStream, 3)])
        .await
        .unwrap();
    let second = store
        .append(&meta(), &[append(&s, ExpectedVersion::Exact(3), 2)])
        .await
        .unwrap();
    assert_eq!(first.version_of(&s), Some(3));
    assert_eq!(second.version_of(&s), Some(5));
    let events = store.read_stream(&s, 0, None).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert!(events.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(store.read_stream(&s, 2, Some(4)).await.unwrap().len(), 2);
}

#[sqlx::test(migrations = "../../migrations")]
async fn two_writers_racing_on_one_version_exactly_one_wins(pool: PgPool) {
    let store = EventStore::new(pool).tenant(tenant());
    let s = stream("counter");
    store
        .append(&meta(), &[append(&s, ExpectedVersion::NoStream, 1)])
        .await
        .unwrap();
    let (one, two) = (
        [append(&s, ExpectedVersion::Exact(1), 1)],
        [append(&s, ExpectedVersion::Exact(1), 2)],
    );
    let (m1, m2) = (meta(), meta());
    let (a, b) = tokio::join!(store.append(&m1, &one), store.append(&m2, &two));
    let (won, lost) = match (a, b) {
        (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
        other => panic!("expected exactly one winner, got {other:?}"),
    };
    let winner_version = won.version_of(&s).unwrap();
    match lost {
        StoreError::Conflict {
            stream_id,
            expected,
            actual,
        } => {
            assert_eq!(stream_id, s);
            assert_eq!(expected, ExpectedVersion::Exact(1));
            assert_eq!(
                actual, winner_version,
                "the conflict carries the stream's actual version"
            );
        }
        other => panic!("expected a typed conflict, got {other}"),
    }
    assert_eq!(store.stream_version(&s).await.unwrap(), winner_version);
    assert_eq!(
        store.read_stream(&s, 0, None).await.unwrap().len() as u64,
        winner_version,
        "nothing half-written"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn two_writers_creating_one_stream_exactly_one_wins(pool: PgPool) {
    let store = EventStore::new(pool).tenant(tenant());
    let s = stream("counter");
    let (one, two) = (
        [append(&s, ExpectedVersion::NoStream, 1)],
        [append(&s, ExpectedVersion::NoStream, 1)],
    );
    let (m1, m2) = (meta(), meta());
    let (a, b) = tokio::join!(store.append(&m1, &one), store.append(&m2, &two));
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} / {b:?}");
    let err = a.err().or(b.err()).unwrap();
    assert!(matches!(err, StoreError::Conflict { actual: 1, .. }), "{err}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_writer_expecting_any_version_waits_for_the_streams_creator_and_appends_after_it(pool: PgPool) {
    // A new stream's first event is checked by the version key rather than by reading the head;
    // the stream's lock must still make a writer that expects any version wait for the creator,
    // or it would compute version 1 too and be refused.
    let store = EventStore::new(pool.clone()).tenant(tenant());
    let s = stream("ledger");
    let mut creating = pool.begin().await.unwrap();
    store
        .append_in(&mut creating, &meta(), &[append(&s, ExpectedVersion::NoStream, 1)])
        .await
        .unwrap();
    let any = {
        let (store, s) = (store.clone(), s.clone());
        tokio::spawn(async move { store.append(&meta(), &[append(&s, ExpectedVersion::Any, 1)]).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        !any.is_finished(),
        "the second writer did not wait for the stream's creator"
    );
    creating.commit().await.unwrap();
    let outcome = any.await.unwrap().unwrap();
    assert_eq!(outcome.streams[0].version, 2);
    assert_eq!(store.stream_version(&s).await.unwrap(), 2);
}

#[sqlx::test(migrations = "../../migrations")]
async fn no_stream_and_exact_expectations_are_enforced(pool: PgPool) {
    let store = EventStore::new(pool).tenant(tenant());
    let s = stream("counter");
    let err = store
        .append(&meta(), &[append(&s, ExpectedVersion::Exact(2), 1)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { actual: 0, .. }));
    store
        .append(&meta(), &[append(&s, ExpectedVersion::Any, 2)])
        .await
        .unwrap();
    let err = store
        .append(&meta(), &[append(&s, ExpectedVersion::NoStream, 1)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { actual: 2, .. }));
    store
        .append(&meta(), &[append(&s, ExpectedVersion::Any, 1)])
        .await
        .unwrap();
    assert_eq!(store.stream_version(&s).await.unwrap(), 3);
}

#[sqlx::test(migrations = "../../migrations")]
async fn multi_stream_append_is_all_or_nothing(pool: PgPool) {
    let store = EventStore::new(pool.clone()).tenant(tenant());
    let (a, b, c) = (stream("stock"), stream("stock"), stream("transfer"));
    store
        .append(&meta(), &[append(&b, ExpectedVersion::NoStream, 1)])
        .await
        .unwrap();
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    let err = store
        .append(
            &meta(),
            &[
                append(&a, ExpectedVersion::NoStream, 2),
                append(&b, ExpectedVersion::Exact(5), 1),
                append(&c, ExpectedVersion::Any, 1),
            ],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict { stream_id, actual: 1, .. } if *stream_id == b),
        "{err}"
    );
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(before, after, "no event of any stream was written");
    assert_eq!(store.stream_version(&a).await.unwrap(), 0);
    assert_eq!(store.stream_version(&c).await.unwrap(), 0);

    let ok = store
        .append(
            &meta(),
            &[
                append(&a, ExpectedVersion::NoStream, 2),
                append(&b, ExpectedVersion::Exact(1), 1),
                append(&c, ExpectedVersion::Any, 1),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        (ok.version_of(&a), ok.version_of(&b), ok.version_of(&c)),
        (Some(2), Some(2), Some(1))
    );
    assert_eq!(ok.positions.len(), 4);
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_idempotent_retry_returns_the_first_result_and_writes_nothing(pool: PgPool) {
    let store = EventStore::new(pool.clone()).tenant(tenant());
    let s = stream("counter");
    let m = meta();
    let first = store
        .append(&m, &[append(&s, ExpectedVersion::NoStream, 2)])
        .await
        .unwrap();
    assert!(!first.duplicate);
    // The retry even carries an expectation that would now fail: it is answered from the record.
    let again = store
        .append(&m, &[append(&s, ExpectedVersion::NoStream, 2)])
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(
        (again.streams.clone(), again.positions.clone()),
        (first.streams.clone(), first.positions.clone())
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 2);
}

#[sqlx::test(migrations = "../../migrations")]
async fn concurrent_repeats_of_one_command_write_once(pool: PgPool) {
    let store = EventStore::new(pool.clone()).tenant(tenant());
    let s = stream("counter");
    let m = meta();
    let batch = [append(&s, ExpectedVersion::Any, 1)];
    let attempts = (0..10).map(|_| store.append(&m, &batch)).collect::<Vec<_>>();
    let results = futures_util::future::join_all(attempts).await;
    let results: Vec<_> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(results.iter().filter(|r| !r.duplicate).count(), 1);
    assert!(results.iter().all(|r| r.positions == results[0].positions));
    assert_eq!(store.stream_version(&s).await.unwrap(), 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn malformed_appends_are_refused_before_touching_the_database(pool: PgPool) {
    let store = EventStore::new(pool).tenant(tenant());
    for bad in ["nodash", "-x", "Order-1", ""] {
        let err = store
            .append(&meta(), &[append(bad, ExpectedVersion::Any, 1)])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::InvalidAppend(_)), "{bad}: {err}");
    }
    let s = stream("counter");
    let err = store
        .append(&meta(), &[append(&s, ExpectedVersion::Any, 0)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidAppend(_)));
    let err = store
        .append(
            &meta(),
            &[append(&s, ExpectedVersion::Any, 1), append(&s, ExpectedVersion::Any, 1)],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidAppend(_)));
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_tenant_never_reads_another_tenants_stream(pool: PgPool) {
    let store = EventStore::new(pool);
    let (a, b) = (store.tenant(tenant()), store.tenant(tenant()));
    let s = stream("order");
    let m = meta();
    a.append(&m, &[append(&s, ExpectedVersion::NoStream, 3)]).await.unwrap();

    assert!(b.read_stream(&s, 0, None).await.unwrap().is_empty());
    assert!(b.read_stream_until(&s, chrono::Utc::now()).await.unwrap().is_empty());
    assert_eq!(b.stream_version(&s).await.unwrap(), 0);
    assert_eq!(
        b.recorded_outcome(m.command_id).await.unwrap(),
        None,
        "command records are per tenant too"
    );
    // The same stream id in another tenant is another stream: B's write neither sees nor touches A's.
    let theirs = b
        .append(&meta(), &[append(&s, ExpectedVersion::NoStream, 1)])
        .await
        .unwrap();
    assert_eq!(theirs.version_of(&s), Some(1));
    assert_eq!(a.stream_version(&s).await.unwrap(), 3);
    assert_eq!(a.read_stream(&s, 0, None).await.unwrap().len(), 3);
    assert!(
        a.read_stream(&s, 0, None)
            .await
            .unwrap()
            .iter()
            .all(|e| e.tenant_id == a.tenant_id())
    );
}
