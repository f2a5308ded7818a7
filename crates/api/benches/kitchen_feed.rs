//! What the kitchen feels (`make bench`, issue 17): from the POS's `send-to-kitchen` returning to
//! the ticket's message arriving on a connected kitchen screen's live feed (the SSE `sent` event,
//! read by a subscriber), with 50 screens connected, at a steady 20, 200 and 1,000 orders a
//! second (open loop: each send starts on its tick, whatever the previous ones are doing). The
//! release `brigade serve` with its relay and workers in-process, as `make run` serves it; the
//! subscribers, the senders, PostgreSQL and NATS share the machine's cores with it, so at high
//! rates the figures say what this machine does, not what the server alone would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use brigade_testkit::bench as support;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::cpu::{self, Usage};
use tokio::sync::Mutex;
use uuid::Uuid;

mod common;
use common::{database_and_server, drop_database, manager_token, percentile, stop_server};

const SCREENS: usize = 50;
const RATES: [u32; 3] = [20, 200, 1_000];

type Arrivals = Arc<Mutex<Vec<(Uuid, Instant)>>>;

/// A kitchen screen: follows the expo feed, noting when each order's `sent` message arrived.
async fn screen(
    http: reqwest::Client,
    url: String,
    token: String,
    arrivals: Arrivals,
    connected: tokio::sync::mpsc::Sender<()>,
) {
    let mut response = http.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200, "the feed answers");
    connected.send(()).await.unwrap();
    let mut buffer = String::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let now = Instant::now();
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let message: String = buffer.drain(..end + 2).collect();
            if !message.lines().any(|l| l == "event: sent") {
                continue;
            }
            let id = message
                .split("\"order_id\":\"")
                .nth(1)
                .and_then(|rest| rest.get(..36))
                .and_then(|id| Uuid::parse_str(id).ok());
            if let Some(id) = id {
                arrivals.lock().await.push((id, now));
            }
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some(url) = support::bench_run() else { return };
    let nats_url = std::env::var("NATS_URL").expect("NATS_URL is not set: run `make bench`");
    let secs: f64 = support::setting("BENCH_SECS", 5.0);
    let name = "brigade_bench_kitchen_feed";
    let (pool, server, base) = database_and_server(&url, &nats_url, name).await;
    let token = manager_token();
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    let post = |path: String, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let item: Value = post(
        "/api/v1/menu/items".into(),
        json!({"name": "Bistro Burger", "category": "food", "sell_price": "16.00", "station": "grill", "recipe": []}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let order = json!({"order_type": "takeout", "lines": [{"menu_item_id": item["id"], "quantity": 1}]});

    // The screens, each on a connection of its own.
    let arrivals: Vec<Arrivals> = (0..SCREENS).map(|_| Arrivals::default()).collect();
    let (connected, mut ready) = tokio::sync::mpsc::channel(SCREENS);
    for screen_arrivals in &arrivals {
        let feed = reqwest::Client::new();
        tokio::spawn(screen(
            feed,
            format!("{base}/api/v1/kitchen/stream"),
            token.clone(),
            screen_arrivals.clone(),
            connected.clone(),
        ));
    }
    for _ in 0..SCREENS {
        ready.recv().await.unwrap();
    }
    println!("kitchen feed benchmark: {SCREENS} screens connected to the expo feed, {secs} s per rate");

    for rate in RATES {
        // The orders, placed beforehand (what is measured is the send and the fan-out).
        let count = (f64::from(rate) * secs).round() as usize;
        let ids: Vec<Uuid> = futures_util::stream::iter(0..count)
            .map(|_| async {
                let answer: Value = post("/api/v1/pos/orders".into(), order.clone())
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                Uuid::parse_str(answer["id"].as_str().unwrap()).unwrap()
            })
            .buffer_unordered(32)
            .collect()
            .await;

        // Sent at a steady rate: order i leaves at start + i / rate.
        let cpu_before = cpu::snapshot(server.id());
        let start = Instant::now();
        let returned = Arc::new(Mutex::new(HashMap::with_capacity(count)));
        let mut sends = Vec::with_capacity(count);
        for (i, id) in ids.iter().copied().enumerate() {
            tokio::time::sleep_until((start + Duration::from_secs_f64(i as f64 / f64::from(rate))).into()).await;
            let request = post(format!("/api/v1/pos/orders/{id}/send-to-kitchen"), json!({}));
            let returned = returned.clone();
            sends.push(tokio::spawn(async move {
                let ok = matches!(request.await, Ok(r) if r.status() == 200);
                if ok {
                    returned.lock().await.insert(id, Instant::now());
                }
            }));
        }
        for send in sends {
            send.await.unwrap();
        }
        let sent_in = start.elapsed().as_secs_f64();
        // Every screen should see every order; give the fan-out time to drain, then count.
        let wanted: HashMap<Uuid, Instant> = returned.lock().await.clone();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut seen = 0;
            for screen in &arrivals {
                seen += screen
                    .lock()
                    .await
                    .iter()
                    .filter(|(id, _)| wanted.contains_key(id))
                    .count();
            }
            if seen >= wanted.len() * SCREENS || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let usage = Usage::between(&cpu_before, &cpu::snapshot(server.id()), wanted.len());
        let (mut latencies, mut missing, mut early) = (Vec::new(), 0_usize, 0_usize);
        for screen in &arrivals {
            let seen: HashMap<Uuid, Instant> = screen.lock().await.iter().copied().collect();
            for (id, back) in &wanted {
                match seen.get(id) {
                    Some(at) if at >= back => latencies.push(*at - *back),
                    Some(_) => {
                        // The message beat the HTTP answer to the client: no wait at all.
                        early += 1;
                        latencies.push(Duration::ZERO);
                    }
                    None => missing += 1,
                }
            }
        }
        latencies.sort();
        println!(
            "{rate:>5} orders/s asked, {:.0}/s sent ({} of {count} accepted): send-to-kitchen answer -> SSE message on a screen, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} messages ({early} before the answer, {missing} missing)",
            wanted.len() as f64 / sent_in,
            wanted.len(),
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99),
            percentile(&latencies, 1.0),
            latencies.len(),
        );
        println!(
            "  {} (the load generator is the {SCREENS} screens and the sender)",
            usage.describe("order sent")
        );
        if rate == 200 {
            let p99 = percentile(&latencies, 0.99);
            println!(
                "  target p99 <= 250 ms at 200 orders/s with {SCREENS} screens: {}",
                if p99 <= 250.0 && missing == 0 { "met" } else { "NOT met" }
            );
        }
    }
    stop_server(server);
    pool.close().await;
    drop_database(&url, name).await;
}
