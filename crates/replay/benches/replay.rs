//! Replay benchmark (`make bench`, see BENCHMARKS.md), through the release-built binary, each
//! figure beside what the raw database does with the same rows in the same run:
//! - `verify`: events/s, beside a plain read of the columns the hashes cover, in the same order;
//! - `rebuild <model>` (shadow build and swap): events applied/s per read model, beside a plain
//!   read of the events of that model's types;
//! - `export` and `import`: events/s.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use brigade_testkit::bench as support;

use brigade_projections::models;
use futures_util::TryStreamExt;
use serde_json::Value;
use sqlx::PgPool;
use std::process::Command;
use std::time::Instant;
use support::{bench_run, fresh_db, seeded, setting};

/// Runs the binary with `--json` and returns what it printed.
fn replay(url: &str, args: &[&str]) -> (Value, f64) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_brigade-replay"))
        .args(args)
        .arg("--json")
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert!(output.status.success(), "{args:?}: {output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    (serde_json::from_str(&stdout).unwrap_or(Value::Null), secs)
}

/// Reads `sql`'s rows to the end and returns rows per second.
async fn raw_rate(pool: &PgPool, sql: &str, types: Option<&[String]>) -> (u64, f64) {
    let started = Instant::now();
    let mut rows = match types {
        Some(types) => sqlx::query(sql).bind(types).fetch(pool),
        None => sqlx::query(sql).fetch(pool),
    };
    let mut n = 0_u64;
    while rows.try_next().await.unwrap().is_some() {
        n += 1;
    }
    (n, n as f64 / started.elapsed().as_secs_f64())
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

#[tokio::main]
async fn main() {
    let Some(url) = bench_run() else { return };
    let orders: u32 = setting("BENCH_ORDERS", 25_000);
    let (pool, _store, total) = seeded(&url, "brigade_bench_replay", orders).await;
    let (base, _) = url.rsplit_once('/').unwrap();
    let db_url = format!("{base}/brigade_bench_replay");

    println!("\nverify (every hash chain), beside a raw read of the same columns in the same order:");
    let (_, raw) = raw_rate(
        &pool,
        "SELECT tenant_id, stream_id, version, position, event_id, event_type, schema_version, recorded_at, \
                payload::text, metadata::text, hash FROM events ORDER BY tenant_id, stream_id, version",
        None,
    )
    .await;
    for run in 1..=2 {
        let (out, _) = replay(&db_url, &["verify"]);
        let rate = out["events_per_second"].as_f64().unwrap();
        println!(
            "  run {run}: {} events, {rate:>9.0} events/s   raw read {raw:>9.0} rows/s   ratio {:.2}   target >= 150,000/s: {}",
            out["events_checked"],
            rate / raw,
            verdict(rate >= 150_000.0)
        );
    }

    println!("\nrebuild (shadow build from the log, then swap), per read model, beside a raw read of its events:");
    for projection in models::all() {
        let types = projection.event_types().to_vec();
        let (events, raw) = raw_rate(
            &pool,
            "SELECT position, transaction_id::text, event_id, tenant_id, stream_id, version, event_type, \
                    schema_version, payload::text, metadata::text, recorded_at \
             FROM events WHERE event_type = ANY($1) ORDER BY transaction_id, position",
            Some(&types),
        )
        .await;
        let (out, secs) = replay(&db_url, &["rebuild", projection.name()]);
        let rate = out[0]["events_per_second"].as_f64().unwrap();
        println!(
            "  {:<14} {events:>8} events  {rate:>8.0} applied/s (whole command {secs:.2} s)   raw read {raw:>9.0} rows/s   ratio {:.2}   target >= 30,000/s: {}",
            projection.name(),
            rate / raw,
            verdict(rate >= 30_000.0)
        );
    }

    println!("\nexport and import (NDJSON):");
    let file = std::env::temp_dir().join(format!("brigade-bench-{}.ndjson", uuid::Uuid::now_v7().simple()));
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_brigade-replay"))
        .args(["export", "--output", file.to_str().unwrap()])
        .env("DATABASE_URL", &db_url)
        .status()
        .unwrap();
    assert!(status.success());
    let secs = started.elapsed().as_secs_f64();
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    println!(
        "  export {total} events in {secs:.2} s: {:.0} events/s ({:.0} MB)",
        total as f64 / secs,
        size as f64 / 1e6
    );
    let target = fresh_db(&url, "brigade_bench_replay_import").await;
    target.close().await;
    let (out, secs) = replay(
        &format!("{base}/brigade_bench_replay_import"),
        &["import", file.to_str().unwrap()],
    );
    println!(
        "  import {} events in {secs:.2} s: {:.0} events/s (every hash checked, one transaction)",
        out["events"],
        total as f64 / secs
    );
    let _ = std::fs::remove_file(file);
}
