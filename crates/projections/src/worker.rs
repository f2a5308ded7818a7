//! The projection runtime: one worker per projection, one active process per projection.
//!
//! - **Catch-up** straight from the store's global log, in large batches, when the worker starts
//!   (new, rebuilt or far behind projections), whenever NATS has been quiet for `idle`, and to
//!   fill any gap it notices.
//! - **Live** delivery through a durable JetStream pull consumer. Each message carries the
//!   position of the event the relay published before it; if that is not this projection's
//!   checkpoint, something went missing (JetStream acknowledges before it writes to disk) and the
//!   worker reads the missing events from the store before going on. Messages at or below the
//!   checkpoint (redeliveries, republished duplicates, events already read from the store) are
//!   skipped. Messages are acknowledged (ack-all, one per batch) only after the commit.
//! - **Partitions**: a projection runs as P partitions of the organizations, each with its own
//!   lease, checkpoint, consumer and parked events; a worker runs one. Processes share the
//!   partitions between them ([`crate::Balancer`]); one process holds a partition's lease at a
//!   time.
//! - **NATS down**: the worker keeps following the store (woken by the store's commit
//!   notifications), and goes back to NATS when it returns.

use crate::projection::Projection;
use crate::session::{Session, SessionError, Target};
use async_nats::jetstream::{self, consumer};
use brigade_eventstore::{Envelope, Lease, NOTIFY_CHANNEL, Partition, RecordedEvent};
use futures_util::{FutureExt, StreamExt};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The lease of the projection partition whose checkpoint is `checkpoint` (the prefix keeps
/// projections' locks apart from the relay's and the rebuilds'; with one partition it is the name
/// a projection's lease always had).
pub fn lease_name(checkpoint: &str) -> String {
    format!("brigade:projection:{checkpoint}")
}

/// How a worker runs.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Events per transaction when reading from the store.
    pub catch_up_batch: u32,
    /// Messages per transaction at most when live.
    pub live_batch: usize,
    /// After this long without a message, look in the store (catches a lost tail, or NATS down).
    pub idle: Duration,
    /// Back-off between attempts at a failing batch; after the last, the culprit is parked.
    pub retry_delays: Vec<Duration>,
    /// How often a standby tries to take over.
    pub standby_poll: Duration,
    /// The JetStream stream the relay publishes to.
    pub stream: String,
    /// The relay's subject prefix.
    pub subject_prefix: String,
    /// When the consumer has more than this many messages waiting, the worker is far behind: it
    /// reads the store in large batches instead, and then skips the backlog.
    pub far_behind: u64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            catch_up_batch: 5000,
            live_batch: 1000,
            idle: Duration::from_millis(1000),
            retry_delays: vec![
                Duration::from_millis(50),
                Duration::from_millis(250),
                Duration::from_millis(1000),
            ],
            standby_poll: Duration::from_millis(500),
            stream: "BRIGADE_EVENTS".into(),
            subject_prefix: "brigade.events".into(),
            far_behind: 20_000,
        }
    }
}

/// Runs one partition of one projection.
pub struct Worker {
    pool: PgPool,
    jetstream: Option<jetstream::Context>,
    projection: Arc<dyn Projection>,
    partition: Partition,
    config: WorkerConfig,
}

/// Why live delivery stopped.
enum LiveEnd {
    Shutdown,
    Nats(String),
}

impl Worker {
    /// A worker for all of `projection` (an installation of one partition); without
    /// `jetstream` it follows the store only.
    pub fn new(
        pool: PgPool,
        jetstream: Option<jetstream::Context>,
        projection: Arc<dyn Projection>,
        config: WorkerConfig,
    ) -> Self {
        Self::for_partition(pool, jetstream, projection, Partition::WHOLE, config)
    }

    /// A worker for one partition of `projection`.
    pub fn for_partition(
        pool: PgPool,
        jetstream: Option<jetstream::Context>,
        projection: Arc<dyn Projection>,
        partition: Partition,
        config: WorkerConfig,
    ) -> Self {
        Self {
            pool,
            jetstream,
            projection,
            partition,
            config,
        }
    }

    /// Runs until `shutdown`: stands by for the lease, catches up, follows live delivery.
    /// A batch in progress is finished (committed, acknowledged) before it returns. (A
    /// `brigade-worker` process runs its partitions through a [`Balancer`](crate::Balancer)
    /// instead, which takes and gives up leases to share them with other processes.)
    pub async fn run(&self, shutdown: CancellationToken) -> Result<(), SessionError> {
        let lease_name = self.lease_name();
        while !shutdown.is_cancelled() {
            let Some(lease) = Lease::acquire(&self.pool, &lease_name, self.config.standby_poll, &shutdown).await?
            else {
                break;
            };
            match self.run_held(lease, &shutdown).await {
                Ok(()) => break,
                // The checkpoint moved under this worker: a rebuild was swapped in (or, after a
                // lost connection, another worker took over). Start again from the stored one.
                Err(SessionError::Fenced) => {
                    tracing::info!(projection = self.projection.name(), "checkpoint moved; reloading it");
                }
                Err(error @ SessionError::Repartitioned { .. }) => return Err(error),
                Err(error) => {
                    tracing::warn!(projection = self.projection.name(), %error, "worker restarting");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
        Ok(())
    }

    /// The lease name of this worker's partition of its projection.
    pub fn lease_name(&self) -> String {
        lease_name(&self.checkpoint_name())
    }

    /// The checkpoint name of this worker's partition of its projection.
    pub fn checkpoint_name(&self) -> String {
        self.partition.name(self.projection.name())
    }

    /// Runs the partition on a lease already held, until `stop` (a batch in progress is
    /// finished first) or an error; the lease is given up when it returns.
    pub async fn run_held(&self, mut lease: Lease, stop: &CancellationToken) -> Result<(), SessionError> {
        crate::partitions::check(lease.connection(), self.projection.name(), self.partition).await?;
        let target = Target {
            checkpoint: self.checkpoint_name(),
            schema: self.projection.schema().to_owned(),
            partition: self.partition,
        };
        let session = Session::start(
            lease,
            self.projection.clone(),
            target,
            self.config.retry_delays.clone(),
            self.config.catch_up_batch,
        )
        .await?;
        self.lead(session, stop).await
    }

    async fn lead(&self, mut session: Session, shutdown: &CancellationToken) -> Result<(), SessionError> {
        let caught = session.catch_up(None).await?;
        tracing::info!(projection = self.projection.name(), caught, checkpoint = ?session.cursor, "caught up from the store");
        loop {
            if let Some(js) = &self.jetstream {
                match self.live(&mut session, js, shutdown).await? {
                    LiveEnd::Shutdown => return Ok(()),
                    LiveEnd::Nats(error) => {
                        tracing::warn!(projection = self.projection.name(), %error, "NATS unavailable; following the store");
                    }
                }
            }
            // Without NATS (or until it is back): follow the store for a while, then try again.
            let until = Instant::now() + Duration::from_secs(5);
            if self.follow_store(&mut session, shutdown, until).await? {
                return Ok(());
            }
        }
    }

    /// Follows the store's log directly until `until` (or forever without NATS). Returns true on
    /// shutdown.
    async fn follow_store(
        &self,
        session: &mut Session,
        shutdown: &CancellationToken,
        until: Instant,
    ) -> Result<bool, SessionError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(NOTIFY_CHANNEL).await?;
        loop {
            session.catch_up(None).await?;
            self.maybe_retry(session).await?;
            if self.jetstream.is_some() && Instant::now() >= until {
                return Ok(false);
            }
            tokio::select! {
                () = shutdown.cancelled() => return Ok(true),
                _ = tokio::time::timeout(self.config.idle, listener.recv()) => {}
            }
        }
    }

    async fn maybe_retry(&self, session: &mut Session) -> Result<(), SessionError> {
        if session.retry_requested().await? {
            session.retry_parked().await?;
        }
        Ok(())
    }

    async fn consumer(&self, js: &jetstream::Context) -> Result<consumer::PullConsumer, String> {
        let stream = js.get_stream(&self.config.stream).await.map_err(|e| e.to_string())?;
        // One durable consumer per partition: each sees every message (for gap detection) and
        // applies its own organizations' events.
        let name = match self.partition.count() {
            1 => format!("brigade-{}", self.projection.name()),
            n => format!("brigade-{}-{}of{n}", self.projection.name(), self.partition.index()),
        };
        stream
            .get_or_create_consumer(
                &name,
                consumer::pull::Config {
                    durable_name: Some(name.clone()),
                    ack_policy: consumer::AckPolicy::All,
                    // Everything older is read from the store at start.
                    deliver_policy: consumer::DeliverPolicy::New,
                    filter_subject: format!("{}.>", self.config.subject_prefix),
                    max_ack_pending: 50_000,
                    ack_wait: Duration::from_secs(30),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| e.to_string())
    }

    async fn live(
        &self,
        session: &mut Session,
        js: &jetstream::Context,
        shutdown: &CancellationToken,
    ) -> Result<LiveEnd, SessionError> {
        let consumer = match self.consumer(js).await {
            Ok(consumer) => consumer,
            Err(error) => return Ok(LiveEnd::Nats(error)),
        };
        let mut messages = match consumer.messages().await {
            Ok(messages) => messages,
            Err(error) => return Ok(LiveEnd::Nats(error.to_string())),
        };
        loop {
            let first = tokio::select! {
                () = shutdown.cancelled() => return Ok(LiveEnd::Shutdown),
                next = tokio::time::timeout(self.config.idle, messages.next()) => next,
            };
            let first = match first {
                // Quiet: the store may hold what NATS lost (or the relay is down).
                Err(_elapsed) => {
                    session.catch_up(None).await?;
                    self.maybe_retry(session).await?;
                    continue;
                }
                Ok(None) => return Ok(LiveEnd::Nats("the consumer's message stream ended".into())),
                Ok(Some(Err(error))) => return Ok(LiveEnd::Nats(error.to_string())),
                Ok(Some(Ok(message))) => message,
            };
            let mut batch = vec![first];
            while batch.len() < self.config.live_batch {
                match messages.next().now_or_never() {
                    Some(Some(Ok(message))) => batch.push(message),
                    _ => break,
                }
            }
            let pending = batch.last().and_then(|m| m.info().ok()).map_or(0, |i| i.pending);
            if pending > self.config.far_behind {
                let caught = session.catch_up(None).await?;
                tracing::info!(
                    projection = self.projection.name(),
                    pending,
                    caught,
                    "far behind: caught up from the store"
                );
            }
            self.deliver(session, &batch).await?;
            if let Some(last) = batch.last() {
                // Ack-all: one ack covers the batch. A lost ack means redelivery, which is skipped.
                if let Err(error) = last.ack().await {
                    tracing::debug!(%error, "ack not sent; the batch will be redelivered and skipped");
                }
            }
        }
    }

    /// Applies one batch of messages: skips what is at or below the checkpoint, fills gaps from the
    /// store, applies the wanted events and moves the checkpoint past the last message.
    async fn deliver(&self, session: &mut Session, batch: &[jetstream::Message]) -> Result<(), SessionError> {
        let mut pending: Vec<RecordedEvent> = Vec::new();
        let mut target = session.cursor;
        for message in batch {
            let envelope = match Envelope::decode(&message.payload) {
                Ok(envelope) => envelope,
                Err(error) => {
                    tracing::warn!(%error, subject = %message.subject, "ignoring a message that is not an event envelope");
                    continue;
                }
            };
            let position = envelope.position();
            if position <= target {
                continue;
            }
            if envelope.previous != target {
                // A gap: apply what we have, then take everything up to this event from the store.
                session.commit(std::mem::take(&mut pending), target).await?;
                session.catch_up(Some(position)).await?;
                target = position;
                continue;
            }
            if session.wants(&envelope.event) {
                pending.push(envelope.event);
            }
            target = position;
        }
        session.commit(pending, target).await
    }
}
