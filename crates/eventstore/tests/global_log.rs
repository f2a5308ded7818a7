//! The global log: every committed event exactly once, in one order every reader agrees on.
#![allow(clippy::unwrap_used)]

use brigade_testkit::events as common;

use brigade_eventstore::{EventStore, ExpectedVersion, GlobalPosition, RecordedEvent};
use common::{append, meta, stream, tenant};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::collections::HashSet;
use std::time::Duration;

/// A reader that checkpoints on a plain sequence position: the classic bug.
async fn naive_read(pool: &PgPool, after: i64) -> Vec<i64> {
    sqlx::query_scalar("SELECT position FROM events WHERE position > $1 ORDER BY position")
        .bind(after)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_commit_that_lands_behind_a_later_position_is_not_skipped(pool: PgPool) {
    let store = EventStore::new(pool.clone());
    let t = store.tenant(tenant());
    let (slow, fast) = (stream("order"), stream("order"));

    // A takes position p1 but has not committed; B takes p2 > p1 and commits first.
    let mut tx = pool.begin().await.unwrap();
    let a = t
        .append_in(&mut tx, &meta(), &[append(&slow, ExpectedVersion::NoStream, 1)])
        .await
        .unwrap();
    let b = t
        .append(&meta(), &[append(&fast, ExpectedVersion::NoStream, 1)])
        .await
        .unwrap();
    let (p1, p2) = (a.positions[0], b.positions[0]);
    assert!(p1 < p2);

    // The naive reader sees p2 and checkpoints it...
    assert_eq!(naive_read(&pool, 0).await, vec![p2]);
    // ...while ours returns nothing yet: p2 might still be preceded by an earlier commit.
    assert!(store.read_global(GlobalPosition::START, 100).await.unwrap().is_empty());

    tx.commit().await.unwrap();
    // The naive reader has lost p1 forever; ours sees both, in commit-safe order.
    assert!(
        naive_read(&pool, p2).await.is_empty(),
        "the naive reader skips the late commit"
    );
    // The readable head waits for every older transaction of the cluster, other tests' in other
    // databases included: once it passes both, ours gets both, in order, once (no more can come).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let seen: Vec<i64> = loop {
        let read = store.read_global(GlobalPosition::START, 100).await.unwrap();
        if read.len() >= 2 || tokio::time::Instant::now() > deadline {
            break read.iter().map(|e| e.position).collect();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(seen, vec![p1, p2]);
}

const WRITERS: u64 = 16;
const PER_WRITER: u64 = 2_000;

/// Tails the log until `total` events were seen (or a generous deadline passes).
async fn follow(store: EventStore, total: usize, batch: u32) -> Vec<RecordedEvent> {
    let mut tail = store
        .tail(GlobalPosition::START)
        .await
        .unwrap()
        .with_poll_interval(Duration::from_millis(50));
    let mut seen = Vec::with_capacity(total);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    while seen.len() < total && tokio::time::Instant::now() < deadline {
        if let Ok(events) = tokio::time::timeout(Duration::from_secs(5), tail.next_batch(batch)).await {
            seen.extend(events.unwrap());
        }
    }
    seen
}

#[sqlx::test(migrations = "../../migrations")]
async fn concurrent_writers_and_tailing_readers_agree_on_every_event_exactly_once(
    _: PgPoolOptions,
    conn_opts: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(24)
        .connect_with(conn_opts)
        .await
        .unwrap();
    let store = EventStore::new(pool.clone());
    let total = (WRITERS * PER_WRITER) as usize;
    let readers = [
        tokio::spawn(follow(store.clone(), total, 500)),
        tokio::spawn(follow(store.clone(), total, 37)),
    ];

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let t = store.tenant(tenant());
            tokio::spawn(async move {
                // Each writer spreads its events over a few streams, one event per commit.
                let streams: Vec<String> = (0..4).map(|_| stream("counter")).collect();
                for i in 0..PER_WRITER {
                    let s = &streams[(i % 4) as usize];
                    t.append(&meta(), &[append(s, ExpectedVersion::Any, 1)]).await.unwrap();
                }
                w
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    let [first, second] = readers;
    let (first, second) = (first.await.unwrap(), second.await.unwrap());

    let committed: Vec<(i64, i64)> =
        sqlx::query_as("SELECT transaction_id::text::bigint, position FROM events ORDER BY transaction_id, position")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(committed.len(), total);
    for reader in [&first, &second] {
        let ids: HashSet<_> = reader.iter().map(|e| e.event_id).collect();
        assert_eq!(ids.len(), reader.len(), "an event was delivered twice");
        assert_eq!(reader.len(), total, "an event was skipped");
        let order: Vec<(i64, i64)> = reader.iter().map(|e| (e.transaction_id, e.position)).collect();
        assert_eq!(order, committed, "the reader's order is the log's order");
    }
    let first_ids: Vec<_> = first.iter().map(|e| e.event_id).collect();
    let second_ids: Vec<_> = second.iter().map(|e| e.event_id).collect();
    assert_eq!(first_ids, second_ids, "two readers agree on the order");
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_tailing_reader_wakes_promptly_on_commit(pool: PgPool) {
    let store = EventStore::new(pool);
    let t = store.tenant(tenant());
    // A poll interval longer than the bound below, which leaves room for a loaded machine: only
    // the notification can be this quick.
    let mut tail = store
        .tail(GlobalPosition::START)
        .await
        .unwrap()
        .with_poll_interval(Duration::from_secs(30));
    let reader = tokio::spawn(async move {
        let batch = tail.next_batch(10).await.unwrap();
        (batch.len(), tokio::time::Instant::now())
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let committed_at = tokio::time::Instant::now();
    t.append(&meta(), &[append(&stream("counter"), ExpectedVersion::Any, 1)])
        .await
        .unwrap();
    let (n, woke_at) = tokio::time::timeout(Duration::from_secs(25), reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 1);
    assert!(
        woke_at.duration_since(committed_at) < Duration::from_secs(20),
        "woken by the notification, not by polling"
    );
}

/// Partitions are computed in two places, the database (a catch-up's filter) and the worker (live
/// messages): they must agree on every organization, and a partitioned read returns exactly its
/// organizations' events, all of them, in log order.
#[sqlx::test(migrations = "../../migrations")]
async fn a_partitioned_read_returns_exactly_its_organizations_events(pool: PgPool) {
    use brigade_eventstore::{LogRange, Partition, read_log};
    let store = EventStore::new(pool.clone());
    let tenants: Vec<_> = (0..40).map(|_| tenant()).collect();
    for t in &tenants {
        store
            .tenant(*t)
            .append(&meta(), &[append(&stream("order"), ExpectedVersion::NoStream, 2)])
            .await
            .unwrap();
    }
    for count in [1u16, 2, 4, 8, 256] {
        for t in &tenants {
            let sql: i32 = sqlx::query_scalar("SELECT brigade_partition($1, $2)")
                .bind(t.0)
                .bind(i32::from(count))
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!(sql, i32::from(Partition::of(t.0, count).index()), "{t:?} of {count}");
        }
    }
    // Everything committed is readable once no older transaction of the cluster is in flight.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while store.read_global(GlobalPosition::START, 1000).await.unwrap().len() < 80 {
        assert!(tokio::time::Instant::now() < deadline, "the log never became readable");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all = store.read_global(GlobalPosition::START, 1000).await.unwrap();
    let mut seen = 0;
    for partition in Partition::all(4) {
        let range = LogRange {
            after: GlobalPosition::START,
            until: None,
            types: None,
            limit: 1000,
            partition,
        };
        let read: Vec<i64> = read_log(&pool, range)
            .await
            .unwrap()
            .iter()
            .map(|e| e.position)
            .collect();
        let expected: Vec<i64> = all
            .iter()
            .filter(|e| partition.contains(e.tenant_id.0))
            .map(|e| e.position)
            .collect();
        assert_eq!(read, expected, "partition {partition}");
        seen += read.len();
    }
    assert_eq!(seen, all.len(), "every event is in exactly one partition");
}
