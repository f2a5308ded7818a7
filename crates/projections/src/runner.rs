//! Starting the fan-out in a process: the relay, the projection workers, or both. Used by the
//! `brigade-worker` binary, and by the API server to run everything in one process.

use crate::balance::Balancer;
use crate::models;
use crate::projection::Projection;
use crate::worker::WorkerConfig;
use brigade_eventstore::{EventStore, Relay, RelayConfig};
use std::sync::Arc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Connects to NATS, retrying in the background when it is not there yet (a worker follows the
/// store meanwhile; the relay waits). `url` may list several servers of a cluster, separated by
/// commas; the client reconnects to any of them (and to the others the cluster tells it of).
pub async fn connect_nats(url: &str) -> Result<async_nats::jetstream::Context, async_nats::ConnectError> {
    let servers: Vec<&str> = url.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let client = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connect(servers)
        .await?;
    Ok(async_nats::jetstream::new(client))
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Fanout {
    /// Run the relay.
    pub relay: bool,
    /// Run these projections (by name).
    pub projections: Vec<String>,
    /// The relay's settings.
    pub relay_config: RelayConfig,
    /// The workers' settings.
    pub worker_config: WorkerConfig,
    /// Partitions per projection (a power of two; 1 unless the installation shares its read
    /// models between processes).
    pub partitions: u16,
}

/// A name for this process among the workers: host and pid.
pub fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}", std::process::id())
}

/// Unknown projection name.
#[derive(Debug, thiserror::Error)]
#[error("no projection is called `{0}` (known: kitchen_queue, stock, sales)")]
pub struct UnknownProjection(pub String);

impl Fanout {
    /// Spawns the tasks on `tasks`; they stop when `shutdown` is cancelled.
    pub fn spawn(
        &self,
        store: &EventStore,
        jetstream: Option<async_nats::jetstream::Context>,
        shutdown: &CancellationToken,
        tasks: &mut JoinSet<()>,
    ) -> Result<(), UnknownProjection> {
        let mut projections: Vec<Arc<dyn Projection>> = Vec::new();
        for name in &self.projections {
            projections.push(models::by_name(name).ok_or_else(|| UnknownProjection(name.clone()))?);
        }
        if self.relay {
            if let Some(js) = jetstream.clone() {
                let relay = Relay::new(store.clone(), js, self.relay_config.clone());
                let token = shutdown.clone();
                tasks.spawn(async move {
                    if let Err(error) = relay.run(token).await {
                        tracing::error!(%error, "relay stopped");
                    }
                });
            }
        }
        if !projections.is_empty() {
            let balancer = Balancer::new(
                store.pool().clone(),
                jetstream,
                projections,
                self.partitions,
                self.worker_config.clone(),
                worker_id(),
            );
            let token = shutdown.clone();
            tasks.spawn(async move {
                if let Err(error) = balancer.run(token).await {
                    tracing::error!(%error, "projection workers stopped");
                }
            });
        }
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM: how the server and the workers are asked to stop.
pub async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
