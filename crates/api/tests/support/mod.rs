//! Shared by the API tests: the projection tests' helpers (a database and a NATS server of the
//! test's own, the fan-out, a restaurant driver), and a server of the test's own on a free port.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub use brigade_testkit as common;

use brigade_api::http::{AppState, serve};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    shutdown: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Serves `state` on a free local port.
    pub async fn start(state: AppState) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(serve(listener, Arc::new(state), shutdown.clone()));
        Server { base, shutdown, task }
    }

    /// Asks it to stop and checks that it does (graceful shutdown), within 30 s.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }
}

/// A client of the API that remembers the highest position any command answered, so a query can
/// wait for everything written so far (`after=`).
pub struct Api {
    /// The client.
    pub http: reqwest::Client,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    last: std::sync::atomic::AtomicI64,
}

impl Api {
    /// A client of the server at `base`.
    pub fn new(base: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            last: std::sync::atomic::AtomicI64::new(0),
        }
    }

    /// The highest position seen.
    pub fn last(&self) -> i64 {
        self.last.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Sends a request and returns its status and JSON body (`null` if none).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
        key: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        if let Some(p) = value.get("position").and_then(serde_json::Value::as_i64) {
            self.last.fetch_max(p, std::sync::atomic::Ordering::SeqCst);
        }
        (status, value)
    }

    /// A command that must succeed (a fresh Idempotency-Key each time); its answer.
    pub async fn ok(&self, method: &str, path: &str, token: &str, body: serde_json::Value) -> serde_json::Value {
        let key = uuid::Uuid::now_v7().to_string();
        let (status, answer) = self.send(method, path, Some(token), Some(body), Some(&key)).await;
        assert!(
            (200..300).contains(&status),
            "{method} {path} answered {status}: {answer}"
        );
        answer
    }

    /// A command's id.
    pub async fn created(&self, path: &str, token: &str, body: serde_json::Value) -> String {
        let answer = self.ok("POST", path, token, body).await;
        answer["id"].as_str().unwrap().to_owned()
    }

    /// A query that must answer 200, once the read models applied everything written so far.
    pub async fn get(&self, path: &str, token: &str) -> serde_json::Value {
        let sep = if path.contains('?') { '&' } else { '?' };
        let path = format!("{path}{sep}after={}", self.last());
        let (status, answer) = self.send("GET", &path, Some(token), None, None).await;
        assert_eq!(status, 200, "GET {path}: {answer}");
        answer
    }

    /// Logs in; the access token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let (status, session) = self
            .send(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": username, "password": password})),
                None,
            )
            .await;
        assert_eq!(status, 200, "login {username}: {session}");
        session["access_token"].as_str().unwrap().to_owned()
    }
}

/// The `brigade serve` binary running as a process of its own on a free port.
pub struct ServeProcess {
    /// `http://127.0.0.1:<port>`, as it printed.
    pub base: String,
    child: std::process::Child,
}

impl Drop for ServeProcess {
    /// A test that fails leaves no server behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServeProcess {
    /// Starts it on `database_url` with NATS at `nats_url` and any further environment.
    pub async fn start(database_url: &str, nats_url: &str, env: &[(&str, &str)]) -> ServeProcess {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_brigade"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("NATS_URL", nats_url)
            .env("BRIGADE_HTTP_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let first = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            let mut output = std::io::BufReader::new(stdout);
            output.read_line(&mut line).unwrap();
            // The rest of what it prints must still find a reader.
            std::thread::spawn(move || std::io::copy(&mut output, &mut std::io::sink()));
            line
        })
        .await
        .unwrap();
        let base = first
            .trim()
            .strip_prefix("serving ")
            .expect("the address it serves")
            .to_owned();
        ServeProcess { base, child }
    }

    /// SIGKILL: no chance to finish anything in hand.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for it to exit; how it exited.
    pub async fn stop(mut self) -> std::process::ExitStatus {
        std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        tokio::task::spawn_blocking(move || self.child.wait().unwrap())
            .await
            .unwrap()
    }
}
