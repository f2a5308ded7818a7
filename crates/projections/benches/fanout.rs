//! Fan-out benchmark (`make bench`, see BENCHMARKS.md):
//! - catch-up rate from PostgreSQL of each read model over a restaurant's log;
//! - relay throughput (published with acks) beside a raw pipelined JetStream publish of the same
//!   messages in the same run;
//! - commit-to-applied latency in the kitchen queue, p50 and p99, at steady rates;
//! - catch-up of all read models in P = 1, 2, 4 partitions by 1, 2, 4 `brigade-worker`
//!   processes (issue 19), over a log shared by eight restaurants;
//! - the latency at 1,000 events/s again on a three-node JetStream cluster keeping three copies.
//!
//! Uses the NATS server of `make bench` with a stream of its own, and a database of its own.
#![allow(clippy::unwrap_used, missing_docs)]

use async_nats::jetstream::{self, stream};
use brigade_domain::ids::*;
use brigade_eventstore::{
    Envelope, EventStore, ExpectedVersion, GlobalPosition, LogRange, Partition, Relay, RelayConfig, StreamAppend,
    read_log, subject_for,
};
use brigade_projections::{APPLIED_CHANNEL, Worker, WorkerConfig, build_shadow, models};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use brigade_testkit::bench as support;

use support::{bench_run, line, meta, placed, seeded, setting};

const STREAM: &str = "BENCH_EVENTS";
const PREFIX: &str = "bench.events";

async fn bench_catch_up(pool: &PgPool, total: i64) {
    println!("\ncatch-up from PostgreSQL over a log of {total} events (restaurant mix), per read model:");
    println!(
        "  {:<14} {:>9} {:>10} {:>13} {:>13}",
        "read model", "applied", "seconds", "log ev/s", "applied ev/s"
    );
    for projection in models::all() {
        let start = Instant::now();
        let built = build_shadow(pool, projection.clone(), 5000).await.unwrap();
        let secs = start.elapsed().as_secs_f64();
        let log_rate = total as f64 / secs;
        let applied_rate = built.applied as f64 / secs;
        println!(
            "  {:<14} {:>9} {:>10.2} {:>13.0} {:>13.0}   target >= 30,000: {}",
            projection.name(),
            built.applied,
            secs,
            log_rate,
            applied_rate,
            if applied_rate >= 30_000.0 { "met" } else { "NOT met" }
        );
    }
}

async fn reset_stream(js: &jetstream::Context, name: &str, subjects: &str, replicas: usize) {
    let _ = js.delete_stream(name).await;
    js.create_stream(stream::Config {
        name: name.into(),
        subjects: vec![subjects.into()],
        storage: stream::StorageType::File,
        duplicate_window: Duration::from_secs(120),
        num_replicas: replicas,
        ..Default::default()
    })
    .await
    .unwrap();
}

/// The raw baseline: the same messages, pipelined the same way, no database.
async fn raw_publish(js: &jetstream::Context, messages: &[(String, Vec<u8>, String)], window: usize) -> f64 {
    reset_stream(js, "RAW_BENCH", "raw.bench.>", 1).await;
    let start = Instant::now();
    let mut pending = VecDeque::new();
    for (subject, body, id) in messages {
        let message = jetstream::message::PublishMessage::build()
            .payload(body.clone().into())
            .message_id(id);
        pending.push_back(js.send_publish(format!("raw.{subject}"), message).await.unwrap());
        while pending.len() > window {
            pending.pop_front().unwrap().await.unwrap();
        }
    }
    while let Some(ack) = pending.pop_front() {
        ack.await.unwrap();
    }
    messages.len() as f64 / start.elapsed().as_secs_f64()
}

/// A checkpoint row of `table` (`relay_checkpoints` or `projection_checkpoints`).
async fn checkpoint(pool: &PgPool, table: &str, name: &str) -> GlobalPosition {
    let sql = format!("SELECT transaction_id, position FROM {table} WHERE name = $1");
    let row: Option<(i64, i64)> = sqlx::query_as(&sql).bind(name).fetch_optional(pool).await.unwrap();
    row.map(|(transaction_id, position)| GlobalPosition {
        transaction_id,
        position,
    })
    .unwrap_or_default()
}

async fn log_head(pool: &PgPool) -> GlobalPosition {
    brigade_eventstore::head(pool)
        .await
        .unwrap()
        .map(|(p, _)| p)
        .unwrap_or_default()
}

async fn bench_relay(store: &EventStore, js: &jetstream::Context, total: i64) {
    let pool = store.pool();
    let mut messages = Vec::new();
    let mut previous = GlobalPosition::START;
    loop {
        let range = LogRange {
            after: previous,
            until: None,
            types: None,
            limit: 50_000,
            partition: Partition::WHOLE,
        };
        let batch = read_log(pool, range).await.unwrap();
        let Some(last) = batch.last() else { break };
        let last = GlobalPosition::of(last);
        for e in &batch {
            messages.push((
                subject_for(PREFIX, e),
                Envelope::encode(e, previous).unwrap(),
                e.event_id.to_string(),
            ));
            previous = GlobalPosition::of(e);
        }
        previous = last;
    }
    println!(
        "\nrelay throughput, {} events, published with acks (window 4096):",
        messages.len()
    );
    for round in 1..=2 {
        let raw = raw_publish(js, &messages, 4096).await;
        reset_stream(js, STREAM, &format!("{PREFIX}.>"), 1).await;
        sqlx::query("DELETE FROM relay_checkpoints WHERE name = 'bench'")
            .execute(pool)
            .await
            .unwrap();
        let config = RelayConfig {
            name: "bench".into(),
            stream: STREAM.into(),
            subject_prefix: PREFIX.into(),
            ..RelayConfig::default()
        };
        let relay = Relay::new(store.clone(), js.clone(), config);
        let token = CancellationToken::new();
        let start = Instant::now();
        let task = {
            let token = token.clone();
            tokio::spawn(async move { relay.run(token).await.unwrap() })
        };
        let head = log_head(pool).await;
        while checkpoint(pool, "relay_checkpoints", "bench").await < head {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let rate = total as f64 / start.elapsed().as_secs_f64();
        token.cancel();
        task.await.unwrap();
        println!(
            "  run {round}: relay {rate:>9.0} events/s   raw JetStream publish {raw:>9.0} msg/s   ratio {:.2}   target >= 0.70: {}",
            rate / raw,
            if rate / raw >= 0.7 { "met" } else { "NOT met" }
        );
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Commit-to-applied latency of the kitchen queue at `rate` events/s for `secs`.
async fn latency_at(store: &EventStore, rate: u32, secs: u64) -> (f64, f64, f64, f64) {
    let pool = store.pool().clone();
    let mut listener = PgListener::connect_with(&pool).await.unwrap();
    listener.listen(APPLIED_CHANNEL).await.unwrap();
    let applied: Arc<tokio::sync::Mutex<Vec<(GlobalPosition, Instant)>>> = Default::default();
    let listen_task = {
        let applied = applied.clone();
        tokio::spawn(async move {
            while let Ok(n) = listener.recv().await {
                let mut parts = n.payload().split(' ');
                if parts.next() != Some("kitchen_queue") {
                    continue;
                }
                let t: i64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                let p: i64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                applied.lock().await.push((
                    GlobalPosition {
                        transaction_id: t,
                        position: p,
                    },
                    Instant::now(),
                ));
            }
        })
    };
    let writers = 16_u32;
    let per_writer = f64::from(rate) / f64::from(writers);
    let tenant = store.tenant(TenantId(Uuid::now_v7()));
    let item = InventoryItemId(Uuid::now_v7());
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|_| {
            let tenant = tenant.clone();
            tokio::spawn(async move {
                let mut sent: Vec<(i64, Instant)> = Vec::new();
                let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_writer));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let deadline = Instant::now() + Duration::from_secs(secs);
                let mut n = 0;
                while Instant::now() < deadline {
                    tick.tick().await;
                    n += 1;
                    let append = StreamAppend::new(
                        format!("order-{}", Uuid::now_v7()),
                        ExpectedVersion::NoStream,
                        &[placed(n, line(item))],
                    );
                    let outcome = tenant.append(&meta(), &[append]).await.unwrap();
                    sent.push((outcome.positions[0], Instant::now()));
                }
                sent
            })
        })
        .collect();
    let mut sent = Vec::new();
    for t in tasks {
        sent.extend(t.await.unwrap());
    }
    let achieved = sent.len() as f64 / start.elapsed().as_secs_f64();
    // Let the last ones arrive.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    listen_task.abort();
    let positions: Vec<i64> = sent.iter().map(|(p, _)| *p).collect();
    let txids: std::collections::HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
        "SELECT position, transaction_id::text::bigint FROM events WHERE position = ANY($1)",
    )
    .bind(&positions)
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let applied = applied.lock().await.clone();
    let mut latencies: Vec<f64> = sent
        .iter()
        .filter_map(|(p, committed)| {
            let at = GlobalPosition {
                transaction_id: txids[p],
                position: *p,
            };
            let i = applied.partition_point(|(c, _)| *c < at);
            applied
                .get(i)
                .map(|(_, seen)| seen.saturating_duration_since(*committed).as_secs_f64() * 1000.0)
        })
        .collect();
    let missing = sent.len() - latencies.len();
    assert_eq!(missing, 0, "{missing} events were not seen applied");
    latencies.sort_by(f64::total_cmp);
    (
        achieved,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
    )
}

/// Commit-to-applied latency at each of `rates` through NATS behind `js` (`replicas` copies of
/// the stream), on `what`.
async fn bench_latency(
    store: &EventStore,
    js: &jetstream::Context,
    secs: u64,
    rates: &[u32],
    replicas: usize,
    what: &str,
) {
    reset_stream(js, STREAM, &format!("{PREFIX}.>"), replicas).await;
    // A second run (another NATS) goes on from the relay's and the worker's checkpoints: the
    // new stream gets only what is written from then on.
    let token = CancellationToken::new();
    let relay_config = RelayConfig {
        name: "latency".into(),
        stream: STREAM.into(),
        subject_prefix: PREFIX.into(),
        replicas,
        ..RelayConfig::default()
    };
    let relay = Relay::new(store.clone(), js.clone(), relay_config);
    let worker_config = WorkerConfig {
        stream: STREAM.into(),
        subject_prefix: PREFIX.into(),
        ..WorkerConfig::default()
    };
    let kitchen = models::by_name("kitchen_queue").unwrap();
    let worker = Worker::new(store.pool().clone(), Some(js.clone()), kitchen, worker_config);
    let tasks = vec![
        {
            let t = token.clone();
            tokio::spawn(async move { relay.run(t).await.unwrap() })
        },
        {
            let t = token.clone();
            tokio::spawn(async move { worker.run(t).await.unwrap() })
        },
    ];
    // Let both catch up with the log first.
    let head = log_head(store.pool()).await;
    while checkpoint(store.pool(), "relay_checkpoints", "latency").await < head
        || checkpoint(store.pool(), "projection_checkpoints", "kitchen_queue").await < head
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "\nfan-out latency on {what}, append commit -> applied in the kitchen queue (relay, JetStream, worker), {secs} s per rate:"
    );
    println!(
        "  {:>8} {:>10} {:>9} {:>9} {:>9}",
        "target/s", "achieved/s", "p50 ms", "p99 ms", "max ms"
    );
    let mut highest = 0;
    for &rate in rates {
        let (achieved, p50, p99, max) = latency_at(store, rate, secs).await;
        println!("  {rate:>8} {achieved:>10.0} {p50:>9.1} {p99:>9.1} {max:>9.1}");
        if rate == 1_000 {
            println!(
                "           target p99 <= 100 ms at 1,000 events/s: {}",
                if p99 <= 100.0 { "met" } else { "NOT met" }
            );
        }
        if achieved >= 0.95 * f64::from(rate) && p99 <= 1000.0 {
            highest = rate;
        }
    }
    println!("  highest steady rate tried (achieved >= 95% of target, p99 under 1 s): {highest} events/s");
    token.cancel();
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::main]
async fn main() {
    let Some(url) = bench_run() else { return };
    let nats = std::env::var("NATS_URL").expect("NATS_URL is not set: run `make bench`");
    let orders: u32 = setting("BENCH_ORDERS", 25_000);
    let secs: u64 = setting("BENCH_SECS", 5);
    let (pool, store, total) = seeded(&url, "brigade_bench_fanout", orders).await;
    let js = brigade_projections::runner::connect_nats(&nats).await.unwrap();
    bench_catch_up(&pool, total).await;
    bench_relay(&store, &js, total).await;
    bench_latency(&store, &js, secs, &[1_000, 2_000, 4_000, 8_000], 1, "one NATS server").await;
    let _ = js.delete_stream(STREAM).await;
    let _ = js.delete_stream("RAW_BENCH").await;
    {
        let cluster = brigade_testkit::nats::NatsCluster::start().await;
        let cjs = brigade_projections::runner::connect_nats(&cluster.url()).await.unwrap();
        // The kitchen worker starts over on the new stream from its checkpoint (already at the head).
        bench_latency(
            &store,
            &cjs,
            secs,
            &[1_000],
            3,
            "a three-node JetStream cluster, three copies",
        )
        .await;
        bench_latency(&store, &js, secs, &[1_000], 1, "one NATS server, again").await;
        let _ = js.delete_stream(STREAM).await;
    }
    // (The pool is not closed: the store's group commit keeps connections of its own.)
    drop(pool);
    bench_partitions(&url, &nats, orders).await;
}

/// Catch-up of every read model from the store, by `workers` processes sharing `parts`
/// partitions each (issue 19). Returns the seconds from starting the processes to every
/// partition's checkpoint at the head, and the events the partitions applied in all.
async fn partitioned_catch_up(pool: &PgPool, url: &str, nats: &str, parts: u16, workers: usize) -> (f64, i64) {
    for schema in ["kitchen_queue", "stock", "sales"] {
        let tables: Vec<String> = sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = $1")
            .bind(schema)
            .fetch_all(pool)
            .await
            .unwrap();
        for t in tables {
            sqlx::query(&format!("TRUNCATE \"{schema}\".\"{t}\""))
                .execute(pool)
                .await
                .unwrap();
        }
    }
    sqlx::query(
        "TRUNCATE projection_checkpoints, projection_parked, projection_partitions, projection_owners, projection_workers",
    )
    .execute(pool)
    .await
    .unwrap();
    let head = log_head(pool).await;
    let names: Vec<String> = models::all()
        .iter()
        .flat_map(|m| Partition::all(parts).map(move |p| p.name(m.name())))
        .collect();
    let start = Instant::now();
    let mut children: Vec<std::process::Child> = (0..workers)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_brigade-worker"))
                .arg("project")
                .env("DATABASE_URL", url)
                .env("NATS_URL", nats)
                .env("BRIGADE_PARTITIONS", parts.to_string())
                .env("BRIGADE_STREAM", "BENCH_PARTITIONS")
                .env("BRIGADE_SUBJECT_PREFIX", "bench.partitions")
                .env("RUST_LOG", "error")
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    loop {
        let behind: i64 = sqlx::query_scalar(
            "SELECT $1::bigint - count(*) FROM projection_checkpoints WHERE name = ANY($2) AND position = $3",
        )
        .bind(names.len() as i64)
        .bind(&names)
        .bind(head.position)
        .fetch_one(pool)
        .await
        .unwrap();
        if behind == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = start.elapsed().as_secs_f64();
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
    let applied: i64 =
        sqlx::query_scalar("SELECT sum(applied_events)::bigint FROM projection_checkpoints WHERE name = ANY($1)")
            .bind(&names)
            .fetch_one(pool)
            .await
            .unwrap();
    (secs, applied)
}

async fn bench_partitions(url: &str, nats: &str, orders: u32) {
    let name = "brigade_bench_partitions";
    let (pool, _store, total) = support::seeded_restaurants(url, name, orders, 8).await;
    let (base, _) = url.rsplit_once('/').unwrap();
    let database = format!("{base}/{name}");
    println!(
        "\ncatch-up of all three read models by brigade-worker processes, {total} events of 8 restaurants \
         (from starting the processes to every partition at the head):"
    );
    println!(
        "  {:>10} {:>9} {:>9} {:>13} {:>15} {:>24}",
        "partitions", "processes", "seconds", "log ev/s", "applied ev/s", "applied ev/s/partition"
    );
    for (parts, workers) in [(1u16, 1usize), (2, 1), (2, 2), (4, 1), (4, 2), (4, 4)] {
        let (secs, applied) = partitioned_catch_up(&pool, &database, nats, parts, workers).await;
        // Each partition reads the whole log (its checkpoint moves over every event) and applies
        // its own organizations' share of it, for each of the three read models.
        let per_partition = applied as f64 / secs / f64::from(parts * 3);
        println!(
            "  {parts:>10} {workers:>9} {secs:>9.2} {:>13.0} {:>15.0} {per_partition:>24.0}",
            total as f64 / secs,
            applied as f64 / secs
        );
    }
    println!("  (2 cores: more processes cannot add cores; see BENCHMARKS.md)");
}
