//! Event store benchmark: throughput of appends and of the global log, each printed beside the
//! raw rate of the equivalent plain SQL on the same database in the same run, and the ratio.
//! Run with `make bench` (see BENCHMARKS.md). Seconds per scenario: BENCH_SECS (default 5).
#![allow(clippy::unwrap_used, missing_docs)]

use brigade_domain::ids::TenantId;
use brigade_eventstore::{
    CommandMeta, EventStore, ExpectedVersion, GlobalPosition, NewEvent, StoreError, StreamAppend, TenantStore,
};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, PgPool};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

use brigade_testkit::bench as support;
use support::cpu::{self, Usage};

const GLOBAL_EVENTS: i64 = 1_000_000;

fn payload(i: u64) -> Value {
    json!({
        "number": i, "order_type": "dine_in", "table": 12, "covers": 2, "customer_id": null,
        "lines": [{"line_id": Uuid::now_v7(), "menu_item_id": Uuid::now_v7(), "name": "Bistro Burger", "category": "food",
                   "station": "grill", "unit_price": "16.00", "quantity": 2, "modifications": ["no onions"], "notes": null,
                   "recipe": [{"inventory_item_id": Uuid::now_v7(), "quantity": "1"}], "status": "pending"}],
        "tax_rate": "8.875", "by": Uuid::now_v7(), "at": "2026-11-21T12:00:00Z"
    })
}

fn event(i: u64) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "order.placed".into(),
        schema_version: 1,
        payload: payload(i),
    }
}

fn meta() -> CommandMeta {
    CommandMeta::direct(Uuid::now_v7(), Uuid::now_v7(), Some(Uuid::now_v7().into()))
}

/// Runs `workers` tasks for `secs`, each calling `op` in a loop; returns (ok ops, failed ops, seconds).
async fn measure<F, Fut>(workers: usize, secs: f64, op: F) -> (u64, u64, f64)
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let op = Arc::new(op);
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let (ok, failed, op) = (ok.clone(), failed.clone(), op.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while Instant::now() < deadline {
                    if op(w, i).await {
                        ok.fetch_add(1, Ordering::Relaxed)
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed)
                    };
                    i += 1;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    (
        ok.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64(),
    )
}

async fn raw_insert(pool: &PgPool, rows: u64) -> bool {
    let mut q = String::from(
        "INSERT INTO raw_events (event_id, tenant_id, stream_id, version, event_type, schema_version, payload, metadata, recorded_at, hash) VALUES ",
    );
    for r in 0..rows {
        let b = r * 10;
        q.push_str(&format!(
            "{}(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
            if r == 0 { "" } else { "," },
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8,
            b + 9,
            b + 10
        ));
    }
    let mut query = sqlx::query(&q);
    for r in 0..rows {
        query = query
            .bind(Uuid::now_v7())
            .bind(Uuid::nil())
            .bind(format!("order-{}", Uuid::now_v7()))
            .bind(1_i64)
            .bind("order.placed")
            .bind(1_i32)
            .bind(payload(r))
            .bind(serde_json::to_value(meta()).unwrap())
            .bind(chrono::Utc::now())
            .bind(vec![0_u8; 32]);
    }
    query.execute(pool).await.is_ok()
}

struct Row {
    label: String,
    ours: f64,
    raw: Option<f64>,
    /// pgbench's own rate for the same rows (the database's floor: a C client with almost no CPU).
    pgbench: Option<f64>,
    note: String,
}

/// The targets of issues #2 and #18, checked against this run's figures.
fn targets(singles: &[&Row], batch: &Row, read: &Row) {
    let ratio = |r: &Row| r.raw.map_or(0.0, |raw| r.ours / raw);
    let floor = |r: &Row| r.pgbench.map_or(f64::NAN, |raw| r.ours / raw);
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!("\ntargets:");
    if let Some(single32) = singles.last() {
        println!(
            "  single-event appends at 32 writers >= 0.60 of the sqlx raw insert: {:.2} -> {}",
            ratio(single32),
            verdict(ratio(single32) >= 0.60)
        );
    }
    for single in singles {
        println!(
            "  {} >= 0.60 of pgbench's insert: {:.2} -> {}",
            single.label,
            floor(single),
            verdict(floor(single) >= 0.60)
        );
    }
    println!(
        "  10-event batches at 32 writers >= 0.60 of the sqlx raw insert: {:.2} -> {}",
        ratio(batch),
        verdict(ratio(batch) >= 0.60)
    );
    println!(
        "  10-event batches at 32 writers >= 0.40 of pgbench's 10-row insert: {:.2} -> {}",
        floor(batch),
        verdict(floor(batch) >= 0.40)
    );
    println!(
        "  global log read >= 250,000 events/s: {:.0} -> {}",
        read.ours,
        verdict(read.ours >= 250_000.0)
    );
}

fn print(rows: &[Row]) {
    println!(
        "\n{:<58} {:>11} {:>11} {:>6} {:>11} {:>6}  note",
        "scenario", "brigade/s", "sqlx raw/s", "ratio", "pgbench/s", "ratio"
    );
    let column = |raw: Option<f64>, ours: f64| match raw {
        Some(raw) => (format!("{raw:>11.0}"), format!("{:>6.2}", ours / raw)),
        None => (format!("{:>11}", "-"), format!("{:>6}", "-")),
    };
    for r in rows {
        let (raw, ratio) = column(r.raw, r.ours);
        let (pgbench, floor) = column(r.pgbench, r.ours);
        println!(
            "{:<58} {:>11.0} {raw} {ratio} {pgbench} {floor}  {}",
            r.label, r.ours, r.note
        );
    }
}

/// pgbench, PostgreSQL's own load generator: on PATH, or beside the server's binaries.
fn pgbench() -> Option<std::path::PathBuf> {
    if let Ok(given) = std::env::var("PGBENCH") {
        return Some(given.into());
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("pgbench"))
        .find(|p| p.is_file());
    on_path.or_else(|| {
        let mut found: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin/pgbench")))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        found.pop()
    })
}

/// What pgbench runs.
enum PgbenchScript {
    /// The same rows as [`raw_insert`], `n` per statement (one row: `INSERT ... VALUES`; more:
    /// one `INSERT ... SELECT`).
    Insert(u64),
    /// One event appended to a new stream by `brigade_append_one` (what the store calls for one
    /// event) itself: every guarantee's SQL with no client of ours around it (no group commit
    /// either).
    Append,
}

/// The rate of `script` run by pgbench itself (one statement per transaction, `clients`
/// connections, prepared), in rows or events per second: the database with a client that costs
/// almost nothing. None when pgbench is not installed.
fn pgbench_rate(database: &str, clients: usize, script: PgbenchScript, secs: f64) -> Option<f64> {
    let binary = pgbench()?;
    // The row's values go in as pgbench variables: with -M prepared they are bound parameters,
    // as the store's are (and a JSON text in the script itself would read as variables: `:12`).
    let values = "gen_random_uuid(), :tenant::uuid, 'order-' || gen_random_uuid(), 1, 'order.placed', 1, \
                  :payload::jsonb, :metadata::jsonb, now(), :hash::bytea";
    let columns = "raw_events (event_id, tenant_id, stream_id, version, event_type, schema_version, payload, metadata, recorded_at, hash)";
    let (script, rows) = match script {
        PgbenchScript::Insert(1) => (format!("INSERT INTO {columns} VALUES ({values});\n"), 1),
        PgbenchScript::Insert(rows) => (
            format!("INSERT INTO {columns} SELECT {values} FROM generate_series(1, {rows});\n"),
            rows,
        ),
        PgbenchScript::Append => (
            "SELECT * FROM brigade_append_one(:tenant::uuid, gen_random_uuid(), 'order-' || gen_random_uuid(), 0, \
             gen_random_uuid(), 'order.placed', 1, :payload::json, :metadata::json, :hash::bytea);\n"
                .to_owned(),
            1,
        ),
    };
    let variables = [
        format!("tenant={}", Uuid::nil()),
        format!("payload={}", payload(1)),
        format!("metadata={}", serde_json::to_value(meta()).unwrap()),
        format!("hash=\\x{}", "00".repeat(32)),
    ];
    let file = std::env::temp_dir().join(format!("brigade-pgbench-{}.sql", std::process::id()));
    std::fs::write(&file, script).ok()?;
    let output = std::process::Command::new(binary)
        .args(["-n", "-M", "prepared", "-f"])
        .arg(&file)
        .args(variables.iter().flat_map(|v| ["-D", v.as_str()]))
        .args(["-c", &clients.to_string(), "-j", &clients.min(4).to_string()])
        .args(["-T", &format!("{}", secs.ceil() as u64)])
        .arg(database)
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&file);
    if !output.status.success() {
        println!("pgbench failed: {}", String::from_utf8_lossy(&output.stderr).trim());
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let tps: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(tps * rows as f64)
}

async fn single_appends(store: &EventStore, writers: usize, secs: f64) -> f64 {
    let tenant = store.tenant(TenantId(Uuid::now_v7()));
    // Each writer owns its streams and knows their versions, as a command handler does after a load.
    let versions: Arc<Vec<std::sync::Mutex<(String, u64)>>> = Arc::new(
        (0..writers)
            .map(|_| std::sync::Mutex::new((format!("order-{}", Uuid::now_v7()), 0)))
            .collect(),
    );
    let (ok, _, elapsed) = measure(writers, secs, move |w, i| {
        let (tenant, versions) = (tenant.clone(), versions.clone());
        async move {
            let (stream, version) = versions[w].lock().unwrap().clone();
            let expected = ExpectedVersion::at(version);
            let appended = tenant
                .append(
                    &meta(),
                    &[StreamAppend {
                        stream_id: stream,
                        expected,
                        events: vec![event(i)],
                    }],
                )
                .await;
            let done = appended.is_ok();
            versions[w].lock().unwrap().1 += u64::from(done);
            done
        }
    })
    .await;
    ok as f64 / elapsed
}

async fn hot_streams(store: &EventStore, secs: f64) -> (f64, f64) {
    let tenant: TenantStore = store.tenant(TenantId(Uuid::now_v7()));
    let streams: Arc<Vec<String>> = Arc::new((0..100).map(|_| format!("order-{}", Uuid::now_v7())).collect());
    let conflicts = Arc::new(AtomicU64::new(0));
    let counted = conflicts.clone();
    let (ok, failed, elapsed) = measure(32, secs, move |w, i| {
        let (tenant, streams, conflicts) = (tenant.clone(), streams.clone(), counted.clone());
        async move {
            // Load the version, then append expecting it: the command loop's shape.
            let stream = &streams[(w * 7919 + i as usize * 104_729) % 100];
            let version = tenant.stream_version(stream).await.unwrap_or(0);
            let expected = ExpectedVersion::at(version);
            match tenant
                .append(
                    &meta(),
                    &[StreamAppend {
                        stream_id: stream.clone(),
                        expected,
                        events: vec![event(i)],
                    }],
                )
                .await
            {
                Ok(_) => true,
                Err(StoreError::Conflict { .. }) => {
                    conflicts.fetch_add(1, Ordering::Relaxed);
                    false
                }
                Err(_) => false,
            }
        }
    })
    .await;
    (
        ok as f64 / elapsed,
        conflicts.load(Ordering::Relaxed) as f64 / (ok + failed).max(1) as f64,
    )
}

async fn batch_appends(store: &EventStore, secs: f64) -> f64 {
    let tenant = store.tenant(TenantId(Uuid::now_v7()));
    let (ok, _, elapsed) = measure(32, secs, move |_, i| {
        let tenant = tenant.clone();
        async move {
            let events = (0..10).map(|k| event(i * 10 + k)).collect();
            let append = StreamAppend {
                stream_id: format!("order-{}", Uuid::now_v7()),
                expected: ExpectedVersion::NoStream,
                events,
            };
            tenant.append(&meta(), &[append]).await.is_ok()
        }
    })
    .await;
    ok as f64 * 10.0 / elapsed
}

async fn raw_rate(pool: &PgPool, writers: usize, rows: u64, secs: f64) -> f64 {
    let pool = pool.clone();
    let (ok, _, elapsed) = measure(writers, secs, move |_, _| {
        let pool = pool.clone();
        async move { raw_insert(&pool, rows).await }
    })
    .await;
    ok as f64 * rows as f64 / elapsed
}

async fn fill_global_log(pool: &PgPool) {
    let tenant = Uuid::now_v7();
    let sample = payload(0);
    sqlx::query(
        "INSERT INTO events (event_id, tenant_id, stream_id, version, event_type, schema_version, payload, metadata, recorded_at, hash) \
         SELECT gen_random_uuid(), $1, 'order-' || ((g - 1) / 10 + 1), (g - 1) % 10 + 1, 'order.placed', 1, $2, $3, now(), sha256(g::text::bytea) \
         FROM generate_series(1, $4) g",
    )
    .bind(tenant)
    .bind(&sample)
    .bind(serde_json::to_value(meta()).unwrap())
    .bind(GLOBAL_EVENTS)
    .execute(pool)
    .await
    .unwrap();
}

async fn global_read(store: &EventStore) -> (f64, u64) {
    let start = Instant::now();
    let (mut after, mut n) = (GlobalPosition::START, 0_u64);
    loop {
        let batch = store.read_global(after, 10_000).await.unwrap();
        let Some(last) = batch.last() else { break };
        after = GlobalPosition::of(last);
        n += batch.len() as u64;
    }
    (n as f64 / start.elapsed().as_secs_f64(), n)
}

/// position, event id, tenant, stream, version, type, schema version, payload, metadata, recorded at.
type RawRow = (
    i64,
    Uuid,
    Uuid,
    String,
    i64,
    String,
    i32,
    String,
    String,
    chrono::DateTime<chrono::Utc>,
);

async fn raw_read(pool: &PgPool) -> f64 {
    let start = Instant::now();
    let (mut after, mut n) = (0_i64, 0_u64);
    loop {
        // The same rows and columns as the store reads, by plain position.
        let rows: Vec<RawRow> = sqlx::query_as(
            "SELECT position, event_id, tenant_id, stream_id, version, event_type, schema_version, payload::text, metadata::text, recorded_at \
             FROM events WHERE position > $1 ORDER BY position LIMIT 10000",
        )
        .bind(after)
        .fetch_all(pool)
        .await
        .unwrap();
        let Some(last) = rows.last() else { break };
        after = last.0;
        n += rows.len() as u64;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<u64>().unwrap_or(0) / 1024 / 1024)
        })
        .unwrap_or(0);
    format!("{cpus} cpus, {mem} GiB")
}

#[tokio::main]
async fn main() {
    let Some(url) = support::bench_run() else { return };
    let secs: f64 = support::setting("BENCH_SECS", 5.0);
    let name = "brigade_bench";
    let pool = support::fresh_db(&url, name).await;
    let store = EventStore::new(pool.clone());
    store.migrate().await.unwrap();
    // The raw baseline: the same columns and rows, a plain durable INSERT, a primary key and nothing else.
    sqlx::query(
        "CREATE TABLE raw_events (position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event_id uuid NOT NULL, tenant_id uuid NOT NULL, \
         stream_id text NOT NULL, version bigint NOT NULL, event_type text NOT NULL, schema_version integer NOT NULL, payload jsonb NOT NULL, \
         metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL, hash bytea NOT NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&pool)
        .await
        .unwrap();
    let sync: String = sqlx::query_scalar("SHOW synchronous_commit")
        .fetch_one(&pool)
        .await
        .unwrap();
    println!(
        "machine: {}; PostgreSQL {version}; synchronous_commit={sync}; {secs} s per scenario",
        machine()
    );

    let (base_url, _) = url.rsplit_once('/').unwrap();
    let database = format!("{base_url}/{name}");
    if pgbench().is_none() {
        println!("pgbench not found (PATH, /usr/lib/postgresql/*/bin, or PGBENCH): its column stays empty");
    }
    let mut rows = vec![];
    for writers in [1, 8, 32] {
        let raw = raw_rate(&pool, writers, 1, secs).await;
        // CPU per event, all processes (PostgreSQL's backends, this process as the client, and
        // pgbench under "other"), for pgbench's insert and for ours.
        let before = cpu::snapshot(0);
        let floor = pgbench_rate(&database, writers, PgbenchScript::Insert(1), secs);
        let floor_cpu = floor.map(|rate| Usage::between(&before, &cpu::snapshot(0), (rate * secs.ceil()) as usize));
        let before = cpu::snapshot(0);
        let ours = single_appends(&store, writers, secs).await;
        let ours_cpu = Usage::between(&before, &cpu::snapshot(0), (ours * secs) as usize);
        let us = |ms: f64| ms * 1000.0;
        rows.push(Row {
            label: format!("single-event append, {writers} writer(s), distinct streams"),
            ours,
            raw: Some(raw),
            pgbench: floor,
            note: format!(
                "CPU/event {:.0} us (PostgreSQL {:.0}, client {:.0}); pgbench's insert {:.0} us",
                us(ours_cpu.per_operation()),
                us(ours_cpu.postgres),
                us(ours_cpu.load),
                floor_cpu.map_or(f64::NAN, |u| us(u.per_operation()))
            ),
        });
    }
    // The floor of the guarantees: brigade_append_one's own SQL (one event to a new stream), issued by pgbench.
    let mut floors = vec![];
    for (writers, single) in [1, 8, 32].into_iter().zip(&rows) {
        if let Some(append) = pgbench_rate(&database, writers, PgbenchScript::Append, secs) {
            floors.push(Row {
                label: format!("  brigade_append_one issued by pgbench, {writers} client(s)"),
                ours: append,
                raw: None,
                pgbench: single.pgbench,
                note: "the guarantees' SQL alone".into(),
            });
        }
    }
    let raw32 = rows.last().and_then(|r| r.raw);
    let (hot, conflict_rate) = hot_streams(&store, secs).await;
    rows.push(Row {
        label: "single-event append, 32 writers, 100 hot streams".into(),
        ours: hot,
        raw: raw32,
        pgbench: rows.last().and_then(|r| r.pgbench),
        note: format!("conflict rate {:.1}%", conflict_rate * 100.0),
    });
    let raw_batch = raw_rate(&pool, 32, 10, secs).await;
    let floor_batch = pgbench_rate(&database, 32, PgbenchScript::Insert(10), secs);
    let batch = batch_appends(&store, secs).await;
    rows.push(Row {
        label: "10-event batch append, 32 writers (events/s)".into(),
        ours: batch,
        raw: Some(raw_batch),
        pgbench: floor_batch,
        note: format!("{:.0} batches/s", batch / 10.0),
    });

    sqlx::query("TRUNCATE events, commands, snapshots")
        .execute(&pool)
        .await
        .unwrap();
    let fill = Instant::now();
    fill_global_log(&pool).await;
    sqlx::query("VACUUM ANALYZE events").execute(&pool).await.unwrap();
    let fill_secs = fill.elapsed().as_secs_f64();
    let raw = raw_read(&pool).await;
    let (ours, n) = global_read(&store).await;
    rows.push(Row {
        label: format!("global log read, {n} events, batches of 10,000"),
        ours,
        raw: Some(raw),
        pgbench: None,
        note: format!("(filled in {fill_secs:.0} s)"),
    });
    let singles = [&rows[0], &rows[1], &rows[2]];
    print(&rows);
    print(&floors);
    targets(&singles, &rows[4], &rows[5]);

    pool.close().await;
    let mut admin = PgConnection::connect(&url).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}
