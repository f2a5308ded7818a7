//! Shared by the replay tests: the projection tests' helpers (a database and a NATS server of the
//! test's own, a restaurant driver, the fan-out), and running the built `brigade-replay` binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub use brigade_testkit as common;

use serde_json::Value;
use std::process::{Child, Command, Stdio};

/// What a run of the binary printed, and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Standard output as JSON (for `--json` runs).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// Asserts a failure with exit code 2 and exactly one line on standard error that contains
    /// `needle`, and no panic or backtrace.
    pub fn assert_refused(&self, needle: &str) {
        assert_eq!(self.code, 2, "{self:?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line expected: {self:?}");
        assert!(lines[0].starts_with("brigade-replay: "), "{self:?}");
        assert!(lines[0].contains(needle), "{needle:?} expected in {self:?}");
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("backtrace"),
            "{self:?}"
        );
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_brigade-replay")
}

/// A command running the binary against `url`.
pub fn command(url: &str, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args).env("DATABASE_URL", url).env("RUST_LOG", "warn");
    c
}

/// Runs the binary to the end (on a blocking thread, so the test's tasks go on meanwhile).
pub async fn replay(url: &str, args: &[&str]) -> Run {
    let mut c = command(url, args);
    let output = tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Starts the binary and returns at once.
pub fn spawn(url: &str, args: &[&str]) -> Child {
    command(url, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Switches the immutability trigger off around `sql` (tampering needs a superuser).
pub async fn tamper(pool: &sqlx::PgPool, sql: &str) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_immutable")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(sql).execute(&mut *tx).await.unwrap();
    sqlx::query("ALTER TABLE events ENABLE TRIGGER events_immutable")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}
