//! Group commit: concurrent appends share transactions, and each still gets exactly the answer
//! it would have had alone.
#![allow(clippy::unwrap_used)]

use brigade_testkit::events as common;

use brigade_eventstore::{CommandMeta, EventStore, ExpectedVersion, StoreError, StreamAppend};
use common::{append, meta, stream, tenant};
use futures_util::future::join_all;
use sqlx::PgPool;

/// What one append of the mix is, and so what it must get back.
enum Kind {
    /// A new stream: written.
    Fresh,
    /// One of the writers of a shared stream with `Any`: written, at its own version.
    Shared,
    /// One of several creating one stream: exactly one wins, the others conflict.
    Creator,
    /// A copy of one command: one write, every copy the same answer.
    Copy,
    /// Reuses an event id already stored: refused, nothing of it written.
    Reused,
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_crowd_of_appends_is_grouped_and_each_answered_as_if_alone(pool: PgPool) {
    let store = EventStore::new(pool.clone());
    let (acme, other) = (store.tenant(tenant()), store.tenant(tenant()));
    let (shared, created) = (stream("counter"), stream("counter"));
    let stored = append(&stream("counter"), ExpectedVersion::NoStream, 1);
    acme.append(&meta(), std::slice::from_ref(&stored)).await.unwrap();

    let copy_meta = meta();
    let copy = append(&stream("counter"), ExpectedVersion::NoStream, 2);
    let mut mix: Vec<(Kind, bool, CommandMeta, StreamAppend)> = Vec::new();
    for n in 0..96 {
        let (kind, appended) = match n % 6 {
            0 | 1 => (
                Kind::Fresh,
                append(&stream("counter"), ExpectedVersion::NoStream, 1 + n % 3),
            ),
            2 => (Kind::Shared, append(&shared, ExpectedVersion::Any, 1)),
            3 => (Kind::Creator, append(&created, ExpectedVersion::NoStream, 1)),
            4 => (Kind::Copy, copy.clone()),
            _ => {
                let mut reused = append(&stream("counter"), ExpectedVersion::NoStream, 1);
                reused.events[0].event_id = stored.events[0].event_id;
                (Kind::Reused, reused)
            }
        };
        // Every fifth command is another organization's, so batches mix tenants; the copies
        // are all one organization's (event ids are unique across the store).
        let (m, theirs) = match kind {
            Kind::Copy => (copy_meta.clone(), false),
            _ => (meta(), n % 5 == 0),
        };
        mix.push((kind, theirs, m, appended));
    }
    let results = join_all(mix.iter().map(|(_, theirs, m, a)| {
        let tenant = if *theirs { &other } else { &acme };
        tenant.append(m, std::slice::from_ref(a))
    }))
    .await;

    let (mut created_wins, mut copies) = (0, Vec::new());
    for ((kind, theirs, _, a), result) in mix.iter().zip(&results) {
        let tenant = if *theirs { &other } else { &acme };
        match kind {
            Kind::Fresh => {
                let outcome = result.as_ref().unwrap();
                assert_eq!(outcome.version_of(&a.stream_id), Some(a.events.len() as u64));
                assert_eq!(
                    tenant.stream_version(&a.stream_id).await.unwrap(),
                    a.events.len() as u64
                );
            }
            Kind::Shared => assert!(result.is_ok(), "{result:?}"),
            Kind::Creator => match result {
                Ok(_) => created_wins += 1,
                Err(StoreError::Conflict { actual: 1, .. }) => {}
                Err(e) => panic!("a losing creator gets a conflict at version 1, not {e}"),
            },
            Kind::Copy => copies.push(result.as_ref().unwrap().positions.clone()),
            Kind::Reused => {
                assert!(matches!(result, Err(StoreError::InvalidAppend(_))), "{result:?}");
                assert_eq!(tenant.stream_version(&a.stream_id).await.unwrap(), 0);
            }
        }
    }
    // Two tenants each create "the" stream: one winner in each.
    assert_eq!(created_wins, 2);
    // The copies of one command: one write, every copy answered with its positions.
    assert_eq!(copies.len(), 16);
    assert!(copies.windows(2).all(|w| w[0] == w[1]), "every copy answered alike");
    assert_eq!(acme.stream_version(&copy.stream_id).await.unwrap(), 2);

    // The writers of the shared stream, per tenant, got versions 1, 2, 3... with none lost.
    for (tenant, theirs) in [(&acme, false), (&other, true)] {
        let writers = mix
            .iter()
            .filter(|(k, t, _, _)| matches!(k, Kind::Shared) && *t == theirs)
            .count() as u64;
        assert_eq!(tenant.stream_version(&shared).await.unwrap(), writers);
        let versions: Vec<u64> = tenant
            .read_stream(&shared, 0, None)
            .await
            .unwrap()
            .iter()
            .map(|e| e.version)
            .collect();
        assert_eq!(versions, (1..=writers).collect::<Vec<_>>());
    }

    // They were grouped: far fewer transactions than commands.
    let (commands, transactions): (i64, i64) = sqlx::query_as(
        "SELECT count(DISTINCT (tenant_id, metadata->>'command_id')), count(DISTINCT transaction_id) FROM events",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        transactions * 4 <= commands,
        "{commands} commands in {transactions} transactions"
    );

    // And every chain holds.
    let report = store.verify(None, |_| {}).await.unwrap();
    assert!(report.faults.is_empty(), "{:?}", report.faults);
}

/// The writers keep their connections between batches; one whose backend died while it was kept
/// (a database restart, an administrator's `pg_terminate_backend`) is found out by the ping after
/// an idle second and replaced, so the next append is written as if nothing happened.
#[sqlx::test(migrations = "../../migrations")]
async fn a_kept_connection_whose_backend_died_is_replaced(pool: PgPool) {
    let store = EventStore::new(pool.clone());
    let acme = store.tenant(tenant());
    let first = append(&stream("counter"), ExpectedVersion::NoStream, 1);
    acme.append(&meta(), std::slice::from_ref(&first)).await.unwrap();

    let killed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
          WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(killed >= 1, "the writer's kept connection was among the backends");
    tokio::time::sleep(brigade_eventstore::PING_AFTER_IDLE + std::time::Duration::from_millis(100)).await;

    let second = append(&stream("counter"), ExpectedVersion::NoStream, 1);
    let outcome = acme.append(&meta(), std::slice::from_ref(&second)).await.unwrap();
    assert!(!outcome.duplicate);
    assert_eq!(outcome.streams[0].version, 1);
}
