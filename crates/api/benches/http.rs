//! The HTTP benchmark (`make bench`): the release `brigade serve` binary, with its relay and
//! workers in-process as `make run` serves it, loaded by 32 keep-alive connections. Place-order
//! commands per second with p50/p99 latency, kitchen-queue reads per second (with 100 open tickets,
//! beside the place-order rate, then with 1,000), and the server's peak
//! RSS (VmHWM); the command rate beside the raw database's single-row insert rate at 32
//! connections, measured in the same run on the same database. Then the same orders on a second
//! server without the fan-out, which isolates what the order's own path costs. Each rate is printed
//! with where the machine's CPU went meanwhile (`support::cpu`): on a machine that runs the
//! database, NATS, the server and the load generator together, that says whether a rate is bound
//! by latency or by the CPU each operation costs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use brigade_testkit::bench as support;

mod common;
use common::{drop_database, manager_token, peak_rss_mb, percentile, server_binary, start_server, stop_server};

use serde_json::{Value, json};
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::cpu::{self, Usage};
use uuid::Uuid;

const CONNECTIONS: usize = 32;

/// Runs `request` from 32 tasks for `secs`; the latencies of the successful ones, and failures.
async fn load<F, Fut>(secs: f64, request: F) -> (Vec<Duration>, u64, f64)
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..CONNECTIONS {
        let (stop, request) = (stop.clone(), request.clone());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut failed) = (Vec::new(), 0_u64);
            while !stop.load(Ordering::Relaxed) {
                let began = Instant::now();
                if request(n).await {
                    latencies.push(began.elapsed());
                } else {
                    failed += 1;
                }
            }
            (latencies, failed)
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut all, mut failed) = (Vec::new(), 0);
    for task in tasks {
        let (latencies, f) = task.await.unwrap();
        all.extend(latencies);
        failed += f;
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    (all, failed, elapsed)
}

/// The raw baseline: one durable single-row INSERT per transaction of an order-sized row.
async fn raw_single_inserts(pool: &PgPool, secs: f64, server: u32) -> (f64, Usage) {
    sqlx::query(
        "CREATE TABLE raw_orders (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, body jsonb NOT NULL, at timestamptz NOT NULL)",
    )
    .execute(pool)
    .await
    .unwrap();
    let body = json!({"order_type": "dine_in", "table": 4, "covers": 2, "lines": [
        {"menu_item_id": Uuid::now_v7(), "name": "Bistro Burger", "unit_price": "16.00", "quantity": 2, "station": "grill"},
        {"menu_item_id": Uuid::now_v7(), "name": "House Lager", "unit_price": "7.00", "quantity": 2, "station": "bar"}]});
    let pool = pool.clone();
    let (done, _, elapsed, usage) = measured(server, secs, move |_| {
        let (pool, body) = (pool.clone(), body.clone());
        async move {
            sqlx::query("INSERT INTO raw_orders (id, tenant_id, body, at) VALUES ($1, $2, $3, now())")
                .bind(Uuid::now_v7())
                .bind(Uuid::nil())
                .bind(body)
                .execute(&pool)
                .await
                .is_ok()
        }
    })
    .await;
    (done.len() as f64 / elapsed, usage)
}

/// One order placed per call, through `base`; true when it was created.
fn placing(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    order: &Value,
) -> impl Fn(usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Send + Sync + Clone + 'static
{
    let (http, url, token, order) = (
        http.clone(),
        format!("{base}/api/v1/pos/orders"),
        token.to_owned(),
        order.clone(),
    );
    move |_| {
        let request = http.post(&url).bearer_auth(&token).json(&order);
        Box::pin(async move { matches!(request.send().await, Ok(r) if r.status() == 201) })
    }
}

/// [`load`], with where the machine's CPU went meanwhile (`server` is the process under test).
async fn measured<F, Fut>(server: u32, secs: f64, request: F) -> (Vec<Duration>, u64, f64, Usage)
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let before = cpu::snapshot(server);
    let (latencies, failed, elapsed) = load(secs, request).await;
    let usage = Usage::between(&before, &cpu::snapshot(server), latencies.len());
    (latencies, failed, elapsed, usage)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some(url) = support::bench_run() else { return };
    let nats_url = std::env::var("NATS_URL").expect("NATS_URL is not set: run `make bench`");
    let secs: f64 = support::setting("BENCH_SECS", 5.0);
    let name = "brigade_bench_http";
    // The server under test migrates its database, as `make run` does: so an older binary
    // (BRIGADE_BENCH_SERVER) can be measured beside this one on a schema it knows.
    let pool = support::fresh_db(&url, name).await;
    let (base_url, _) = url.rsplit_once('/').unwrap();

    let database = format!("{base_url}/{name}");
    println!("server: {}", server_binary());
    let (server, base) = start_server(&database, &nats_url, true);

    let token = manager_token();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let mut menu = Vec::new();
    for (name, category, price, station) in [
        ("Bistro Burger", "food", "16.00", "grill"),
        ("House Lager", "beverage", "7.00", "bar"),
    ] {
        let answer: Value = post(
            "/api/v1/menu/items",
            json!({"name": name, "category": category, "sell_price": price, "station": station, "recipe": []}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        menu.push(answer["id"].as_str().unwrap().to_owned());
    }
    let order = json!({"order_type": "dine_in", "table": 4, "covers": 2, "lines": [
        {"menu_item_id": menu[0], "quantity": 2}, {"menu_item_id": menu[1], "quantity": 2}]});

    println!("HTTP benchmark: {CONNECTIONS} connections, {secs} s per scenario");
    let (raw, raw_cpu) = raw_single_inserts(&pool, secs, server.id()).await;

    // The floor: what HTTP alone costs on this machine (no database, no token).
    let live = {
        let (http, base) = (http.clone(), base.clone());
        move |_| {
            let (http, base) = (http.clone(), base.clone());
            async move {
                let response = http.get(format!("{base}/health/live")).send().await;
                matches!(response, Ok(r) if r.status() == 200)
            }
        }
    };
    let (lived, _, live_elapsed) = load(secs.min(3.0), live).await;
    let (placed, failed, elapsed, place_cpu) = measured(server.id(), secs, placing(&http, &base, &token, &order)).await;
    let rate = placed.len() as f64 / elapsed;

    // A kitchen with 100 open tickets on its screens, then 1,000.
    let mut sent = 0;
    let mut send = async |tickets: usize| {
        for _ in 0..tickets {
            let answer: Value = post("/api/v1/pos/orders", order.clone())
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let id = answer["id"].as_str().unwrap();
            if post(&format!("/api/v1/pos/orders/{id}/send-to-kitchen"), json!({}))
                .await
                .unwrap()
                .status()
                == 200
            {
                sent += 1;
            }
        }
        sent
    };
    let hundred = send(100).await;
    let read = {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        move |n: usize| {
            let (http, base, token) = (http.clone(), base.clone(), token.clone());
            let station = ["grill", "bar", ""][n % 3];
            async move {
                let response = http
                    .get(format!("{base}/api/v1/kitchen/orders?station={station}"))
                    .bearer_auth(&token)
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                    _ => false,
                }
            }
        }
    };
    let (reads, read_failed, read_elapsed, read_cpu) = measured(server.id(), secs, read.clone()).await;
    let thousand = send(900).await;
    let (big_reads, big_failed, big_elapsed) = load(secs, read).await;
    let rss = peak_rss_mb(server.id());
    stop_server(server);

    // The same orders on a server without the fan-out (BRIGADE_WORKERS=false, as when the relay
    // and workers run as `brigade-worker` processes elsewhere): what the order's own path costs.
    let (alone, alone_base) = start_server(&database, &nats_url, false);
    let (alone_placed, alone_failed, alone_elapsed, alone_cpu) =
        measured(alone.id(), secs, placing(&http, &alone_base, &token, &order)).await;
    let alone_rate = alone_placed.len() as f64 / alone_elapsed;
    stop_server(alone);

    let (p50, p99) = (percentile(&placed, 0.50), percentile(&placed, 0.99));
    println!("raw single-row insert, {CONNECTIONS} connections: {raw:.0}/s");
    println!("  {}", raw_cpu.describe("insert"));
    println!(
        "HTTP alone (GET /health/live): {:.0}/s, p99 {:.1} ms",
        lived.len() as f64 / live_elapsed,
        percentile(&lived, 0.99)
    );
    println!(
        "place order (POST /api/v1/pos/orders, 2 lines), relay and workers in-process: {rate:.0}/s, p50 {p50:.1} ms, p99 {p99:.1} ms, {failed} failed; ratio to raw {:.2}",
        rate / raw
    );
    println!(
        "  {}; an order costs {:.1} raw inserts' CPU",
        place_cpu.describe("order"),
        place_cpu.per_operation() / raw_cpu.per_operation()
    );
    println!(
        "place order, no fan-out in the server: {alone_rate:.0}/s, p50 {:.1} ms, p99 {:.1} ms, {alone_failed} failed; ratio to raw {:.2}",
        percentile(&alone_placed, 0.50),
        percentile(&alone_placed, 0.99),
        alone_rate / raw
    );
    println!(
        "  {}; an order costs {:.1} raw inserts' CPU",
        alone_cpu.describe("order"),
        alone_cpu.per_operation() / raw_cpu.per_operation()
    );
    let read_rate = reads.len() as f64 / read_elapsed;
    println!(
        "kitchen queue (GET /api/v1/kitchen/orders, {hundred} open tickets): {read_rate:.0}/s, p50 {:.1} ms, p99 {:.1} ms, {read_failed} failed; {:.2}x the place-order rate",
        percentile(&reads, 0.50),
        percentile(&reads, 0.99),
        read_rate / rate
    );
    println!(
        "  {}; a read costs {:.2} orders' CPU",
        read_cpu.describe("read"),
        read_cpu.per_operation() / place_cpu.per_operation()
    );
    println!(
        "kitchen queue, {thousand} open tickets: {:.0}/s, p50 {:.1} ms, p99 {:.1} ms, {big_failed} failed",
        big_reads.len() as f64 / big_elapsed,
        percentile(&big_reads, 0.50),
        percentile(&big_reads, 0.99)
    );
    println!("server peak RSS: {rss:.1} MB");
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "targets (relay and workers in-process): commands >= 0.30 of raw: {}; p99 <= 25 ms: {}; peak RSS <= 200 MB: {}; kitchen reads (100 tickets) >= 3x place order: {}",
        verdict(rate / raw >= 0.30),
        verdict(p99 <= 25.0),
        verdict(rss <= 200.0),
        verdict(read_rate >= 3.0 * rate)
    );

    pool.close().await;
    drop_database(&url, name).await;
}
