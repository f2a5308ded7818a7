//! Shared by the API tests: the projection tests' helpers (a database and a NATS server of the
//! test's own, the fan-out, a restaurant driver), and a server of the test's own on a free port.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../projections/tests/common/mod.rs"]
pub mod common;

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

    /// Asks it to stop and checks that it does (graceful shutdown), within 10 s.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }
}
