//! What the HTTP benchmarks share: the server under test as a child process (the release
//! `brigade serve`, or another build's binary to compare two revisions), and percentiles.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::time::Duration;

/// The secret the servers sign tokens with, so the benchmark can issue its own.
pub const SECRET: &str = "a benchmark's own signing secret, 32+ bytes long";

/// The `p` quantile (0 to 1) of sorted durations, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A process's peak resident memory (VmHWM), in MB.
pub fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The server binary under test: this build's, or another build's given in
/// `BRIGADE_BENCH_SERVER` (to compare two revisions in one session, run alternately).
pub fn server_binary() -> String {
    std::env::var("BRIGADE_BENCH_SERVER").unwrap_or_else(|_| env!("CARGO_BIN_EXE_brigade").to_owned())
}

/// Starts the release `brigade serve` on `database`, with or without its relay and workers
/// in-process; returns it and the address it serves.
pub fn start_server(database: &str, nats_url: &str, workers: bool) -> (std::process::Child, String) {
    let mut server = std::process::Command::new(server_binary())
        .arg("serve")
        .env("DATABASE_URL", database)
        .env("NATS_URL", nats_url)
        .env("BRIGADE_HTTP_ADDR", "127.0.0.1:0")
        .env("BRIGADE_JWT_SECRET", SECRET)
        .env("BRIGADE_RATE_LIMIT", "1000000")
        .env("BRIGADE_RATE_BURST", "1000000")
        .env("BRIGADE_STREAM", "BRIGADE_BENCH_HTTP")
        .env("BRIGADE_SUBJECT_PREFIX", "brigade.bench.http")
        .env("RUST_LOG", "warn")
        .env("BRIGADE_WORKERS", workers.to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut output = BufReader::new(server.stdout.take().unwrap());
    output.read_line(&mut line).unwrap();
    // The rest of what it prints (where the screens are) must still find a reader.
    std::thread::spawn(move || std::io::copy(&mut output, &mut std::io::sink()));
    let base = line
        .trim()
        .strip_prefix("serving ")
        .expect("the address it serves")
        .to_owned();
    (server, base)
}

/// Stops a server as an operator would (SIGTERM: it finishes what it is doing).
pub fn stop_server(mut server: std::process::Child) {
    std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    server.wait().unwrap();
}

/// A benchmark database of its own, migrated, and the release server on it with its relay and
/// workers; the admin URL's pool, the server and the address it serves.
pub async fn database_and_server(url: &str, nats_url: &str, name: &str) -> (sqlx::PgPool, std::process::Child, String) {
    let pool = brigade_testkit::bench::fresh_db(url, name).await;
    brigade_eventstore::EventStore::new(pool.clone())
        .migrate()
        .await
        .unwrap();
    let (base_url, _) = url.rsplit_once('/').unwrap();
    let (server, base) = start_server(&format!("{base_url}/{name}"), nats_url, true);
    (pool, server, base)
}

/// A manager's access token in a new organization, signed with [`SECRET`].
pub fn manager_token() -> String {
    use brigade_domain::ids::{TenantId, UserId};
    let keys = brigade_api::auth::tokens::Keys::from_secret(SECRET.as_bytes()).unwrap();
    keys.issue(
        UserId(uuid::Uuid::now_v7()),
        TenantId(uuid::Uuid::now_v7()),
        vec![brigade_domain::Role::Manager],
        chrono::Utc::now(),
    )
    .unwrap()
}

/// Drops a benchmark's database.
pub async fn drop_database(url: &str, name: &str) {
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(url).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}
