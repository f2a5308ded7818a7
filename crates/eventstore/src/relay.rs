//! The relay: publishes every event of the global log, in order, to a JetStream stream.
//!
//! - Reads the gap-safe global log (so it never skips a late commit) and publishes each event on
//!   `<prefix>.<tenant>.<category>.<name>` with `Nats-Msg-Id` = the event id: JetStream drops the
//!   duplicates a restart republishes within its duplicate window.
//! - Publishes are pipelined: up to `in_flight` wait for their acks, which are awaited in order.
//!   The checkpoint (in PostgreSQL) only ever moves to an acknowledged event.
//! - One relay is active at a time ([`Lease`]); others stand by and take over within
//!   `standby_poll` of the active one's session ending.
//! - NATS being down never touches the store: commands go on being accepted and the relay
//!   publishes the backlog when NATS returns.

use crate::envelope::{Envelope, EnvelopeError, subject_for};
use crate::error::StoreError;
use crate::global_log::GlobalPosition;
use crate::lease::Lease;
use crate::store::EventStore;
use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, stream};
use std::collections::VecDeque;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How the relay publishes.
#[derive(Clone, Debug)]
pub struct RelayConfig {
    /// Names the checkpoint row and the lease (one logical relay per name).
    pub name: String,
    /// The JetStream stream.
    pub stream: String,
    /// Subject prefix; events go to `<prefix>.<tenant>.<category>.<name>`.
    pub subject_prefix: String,
    /// Events read from the log per query.
    pub batch: u32,
    /// Publishes awaiting their ack at most.
    pub in_flight: usize,
    /// How often a standby tries to become active.
    pub standby_poll: Duration,
    /// How long JetStream keeps events (consumers further behind catch up from the store).
    pub max_age: Duration,
    /// How long JetStream remembers message ids to drop republished duplicates.
    pub duplicate_window: Duration,
    /// The most bytes JetStream keeps for the stream; the oldest messages go first (consumers
    /// that needed them read the store).
    pub max_bytes: i64,
    /// Copies of the stream JetStream keeps: 1 on a single server, 3 in a three-node cluster
    /// (a publish is acknowledged once a majority has it, so one node can be lost).
    pub replicas: usize,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            name: "main".into(),
            stream: "BRIGADE_EVENTS".into(),
            subject_prefix: "brigade.events".into(),
            batch: 1000,
            in_flight: 4096,
            standby_poll: Duration::from_millis(500),
            max_age: Duration::from_secs(7 * 24 * 3600),
            duplicate_window: Duration::from_secs(120),
            max_bytes: 8 * 1024 * 1024 * 1024,
            replicas: 1,
        }
    }
}

/// Why the relay stopped publishing for a while.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// PostgreSQL failed (the lease is given up and taken again).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// NATS refused or did not acknowledge (the relay waits and goes on from its checkpoint).
    #[error("NATS: {0}")]
    Nats(String),
    /// A stored event could not be framed (its payload is not JSON).
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
}

impl From<sqlx::Error> for RelayError {
    fn from(e: sqlx::Error) -> Self {
        RelayError::Store(e.into())
    }
}

fn nats(e: impl std::fmt::Display) -> RelayError {
    RelayError::Nats(e.to_string())
}

/// The relay.
#[derive(Clone, Debug)]
pub struct Relay {
    store: EventStore,
    jetstream: jetstream::Context,
    config: RelayConfig,
}

impl Relay {
    /// A relay from the store to the NATS connection behind `jetstream`.
    pub fn new(store: EventStore, jetstream: jetstream::Context, config: RelayConfig) -> Self {
        Self {
            store,
            jetstream,
            config,
        }
    }

    /// Creates the JetStream stream, or brings its configuration (replicas included) up to date.
    pub async fn ensure_stream(&self) -> Result<(), RelayError> {
        let config = stream::Config {
            name: self.config.stream.clone(),
            subjects: vec![format!("{}.>", self.config.subject_prefix)],
            storage: stream::StorageType::File,
            max_age: self.config.max_age,
            duplicate_window: self.config.duplicate_window,
            max_bytes: self.config.max_bytes,
            discard: stream::DiscardPolicy::Old,
            num_replicas: self.config.replicas.max(1),
            ..Default::default()
        };
        match self.jetstream.create_or_update_stream(config.clone()).await {
            Ok(_) => Ok(()),
            // The server reserves a stream's byte cap from its storage up front, and by default
            // it only has three quarters of the free disk: on a small disk the cap cannot be
            // granted. The stream is then capped by age alone, rather than not created at all.
            Err(error) if insufficient_storage(&error) && config.max_bytes > 0 => {
                tracing::warn!(%error, max_bytes = config.max_bytes,
                    "NATS cannot reserve the stream's byte cap; keeping events by age only");
                let uncapped = stream::Config {
                    max_bytes: -1,
                    ..config
                };
                self.jetstream.create_or_update_stream(uncapped).await.map_err(nats)?;
                Ok(())
            }
            Err(error) => Err(nats(error)),
        }
    }

    /// The published-and-acknowledged checkpoint.
    pub async fn checkpoint(&self) -> Result<GlobalPosition, StoreError> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT transaction_id, position FROM relay_checkpoints WHERE name = $1")
                .bind(&self.config.name)
                .fetch_optional(self.store.pool())
                .await?;
        Ok(
            row.map_or(GlobalPosition::START, |(transaction_id, position)| GlobalPosition {
                transaction_id,
                position,
            }),
        )
    }

    /// Runs until `shutdown`: stands by until it holds the lease, then publishes. Failures are
    /// logged and retried; it only returns on shutdown (or if the store cannot be reached at all).
    pub async fn run(&self, shutdown: CancellationToken) -> Result<(), RelayError> {
        let lease_name = format!("brigade:relay:{}", self.config.name);
        while !shutdown.is_cancelled() {
            let Some(mut lease) =
                Lease::acquire(self.store.pool(), &lease_name, self.config.standby_poll, &shutdown).await?
            else {
                break;
            };
            loop {
                match self.publish(&mut lease, &shutdown).await {
                    Ok(()) => {
                        lease.release().await;
                        return Ok(());
                    }
                    Err(RelayError::Store(error)) => {
                        tracing::warn!(%error, "relay lost the store; taking the lease again");
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "relay paused; resuming from its checkpoint");
                        tokio::select! {
                            () = shutdown.cancelled() => { lease.release().await; return Ok(()) }
                            () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                    }
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        Ok(())
    }

    /// Publishes from the checkpoint while holding the lease, until shutdown or an error.
    async fn publish(&self, lease: &mut Lease, shutdown: &CancellationToken) -> Result<(), RelayError> {
        self.ensure_stream().await?;
        sqlx::query("INSERT INTO relay_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
            .bind(&self.config.name)
            .execute(lease.connection())
            .await?;
        let mut acked = self.checkpoint().await?;
        let mut saved = acked;
        let mut sent = acked;
        let mut pending: VecDeque<(GlobalPosition, PublishAckFuture)> = VecDeque::new();
        let mut tail = self.store.tail(acked).await?;
        loop {
            let batch = if pending.is_empty() {
                tokio::select! {
                    () = shutdown.cancelled() => return Ok(()),
                    batch = tail.next_batch(self.config.batch) => batch?,
                }
            } else {
                tail.poll_batch(self.config.batch).await?
            };
            if batch.is_empty() {
                // Caught up: collect the outstanding acks and record how far we got.
                while let Some((position, ack)) = pending.pop_front() {
                    ack.await.map_err(nats)?;
                    acked = position;
                }
                self.save(lease, &mut saved, acked).await?;
                if shutdown.is_cancelled() {
                    return Ok(());
                }
                continue;
            }
            for event in &batch {
                let body = Envelope::encode(event, sent)?;
                let message = PublishMessage::build()
                    .payload(body.into())
                    .message_id(event.event_id.to_string());
                let ack = self
                    .jetstream
                    .send_publish(subject_for(&self.config.subject_prefix, event), message)
                    .await
                    .map_err(nats)?;
                sent = GlobalPosition::of(event);
                pending.push_back((sent, ack));
                while pending.len() > self.config.in_flight {
                    if let Some((position, ack)) = pending.pop_front() {
                        ack.await.map_err(nats)?;
                        acked = position;
                    }
                }
            }
            self.save(lease, &mut saved, acked).await?;
        }
    }

    async fn save(
        &self,
        lease: &mut Lease,
        saved: &mut GlobalPosition,
        acked: GlobalPosition,
    ) -> Result<(), RelayError> {
        if acked == *saved {
            return Ok(());
        }
        sqlx::query(
            "UPDATE relay_checkpoints SET transaction_id = $2, position = $3, updated_at = now() WHERE name = $1",
        )
        .bind(&self.config.name)
        .bind(acked.transaction_id)
        .bind(acked.position)
        .execute(lease.connection())
        .await?;
        *saved = acked;
        metrics::gauge!("brigade_relay_position").set(acked.position as f64);
        Ok(())
    }
}

/// Whether JetStream refused a stream because it cannot reserve the storage asked for.
fn insufficient_storage(error: &async_nats::jetstream::context::CreateStreamError) -> bool {
    use async_nats::jetstream::ErrorCode;
    use async_nats::jetstream::context::CreateStreamErrorKind;
    match error.kind() {
        CreateStreamErrorKind::JetStream(e) => {
            [ErrorCode::INSUFFICIENT_RESOURCES, ErrorCode::STORAGE_RESOURCES_EXCEEDED].contains(&e.error_code())
                // A cluster says it as "no suitable peers for placement, insufficient storage":
                // no node can reserve the cap (the same code without the reason is nodes missing).
                || (e.error_code() == ErrorCode::CLUSTER_NO_PEERS && e.to_string().contains("insufficient storage"))
        }
        _ => false,
    }
}
