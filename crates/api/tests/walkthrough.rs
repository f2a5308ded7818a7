//! The README's five-minute walkthrough, run as a new user would: `brigade demo`, then `brigade
//! serve` (relay and workers in-process), then the README's shell block pasted into bash, word for
//! word, against that server. It must run to its end and show what the README says it shows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;
use support::ServeProcess;
use support::common::TestDb;
use support::common::nats::NatsServer;

/// The shell block that follows the walkthrough marker in README.md.
fn walkthrough() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let after = readme
        .split_once("<!-- walkthrough")
        .expect("the walkthrough marker in README.md")
        .1;
    let block = after.split_once("```sh\n").unwrap().1;
    block.split_once("\n```").unwrap().0.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthrough_runs_against_the_demo() {
    let db = TestDb::create("walkthrough").await;
    let nats = NatsServer::start().await;
    let brigade = env!("CARGO_BIN_EXE_brigade");
    let demo = Command::new(brigade)
        .arg("demo")
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let serve = ServeProcess::start(
        &db.url,
        &nats.url(),
        &[
            ("BRIGADE_STREAM", "WALKTHROUGH"),
            ("BRIGADE_SUBJECT_PREFIX", "walkthrough"),
        ],
    )
    .await;
    let base = serve.base.clone();

    let script = walkthrough();
    let run = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .env("B", base)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    serve.stop().await;
    assert!(run.status.success(), "the walkthrough failed:\n{out}\n{err}");
    for shown in [
        "\"2 x Bistro Burger\"",
        "\"status\": \"ready\"",
        "\"closed\": true",
        "\"outstanding\": \"0.00\"",
        "\"net_sales\"",
        "\"labor\": \"1850.00\"",
        "\"method\": \"fifo\"",
        "\"class\": \"star\"",
    ] {
        assert!(out.contains(shown), "{shown} in the walkthrough's output:\n{out}");
    }
}
