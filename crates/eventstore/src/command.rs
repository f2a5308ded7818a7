//! Command handling: load (snapshot + newer events), decide, append with the expected version;
//! on a concurrency conflict, reload and decide again a bounded number of times (decide is pure,
//! so a retry is safe), then report the conflict.

use crate::error::StoreError;
use crate::load::Loaded;
use crate::store::TenantStore;
use crate::stream::{AppendOutcome, CommandMeta, ExpectedVersion, StreamAppend};
use brigade_domain::{Aggregate, Context};

/// How many times a command is decided before a conflict is reported.
pub const MAX_ATTEMPTS: u32 = 5;

/// A snapshot is saved each time a stream crosses a multiple of this many events.
pub const SNAPSHOT_EVERY: u64 = 100;

/// Why a command did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The domain refused it; nothing was written.
    #[error(transparent)]
    Domain(E),
    /// Other writers kept changing the stream; nothing was written. The caller may try later.
    #[error("gave up after {attempts} attempts: {source}")]
    Conflict {
        /// How many times it was decided.
        attempts: u32,
        /// The last conflict.
        source: StoreError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl<E: std::error::Error> From<StoreError> for CommandError<E> {
    fn from(e: StoreError) -> Self {
        CommandError::Store(e)
    }
}

/// What a command did.
#[derive(Debug)]
pub struct CommandOutcome<A: Aggregate> {
    /// The aggregate's state afterwards.
    pub state: A,
    /// Its stream version afterwards.
    pub version: u64,
    /// The events decided (empty for a no-op, or for a repeat of an already recorded command).
    pub events: Vec<A::Event>,
    /// The append (`None` when nothing needed writing). `duplicate` marks a repeated command.
    pub append: Option<AppendOutcome>,
}

/// Runs `attempt` until it does not end in a concurrency conflict, at most `max_attempts` times.
/// For commands that span aggregates: the closure loads every state, decides with a `flow`
/// function and makes one multi-stream append.
pub async fn retry_on_conflict<T, E, F, Fut>(max_attempts: u32, mut attempt: F) -> Result<T, CommandError<E>>
where
    E: std::error::Error,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CommandError<E>>>,
{
    let mut attempts = 0;
    loop {
        attempts += 1;
        match attempt().await {
            Err(CommandError::Store(e)) if e.is_conflict() => {
                if attempts >= max_attempts {
                    return Err(CommandError::Conflict { attempts, source: e });
                }
                tracing::debug!(attempts, error = %e, "concurrency conflict, deciding again");
                tokio::task::yield_now().await;
            }
            other => return other,
        }
    }
}

impl TenantStore {
    /// Handles one command on one aggregate.
    pub async fn execute<A: Aggregate>(
        &self,
        stream_id: &str,
        command: &A::Command,
        ctx: &Context,
        meta: &CommandMeta,
    ) -> Result<CommandOutcome<A>, CommandError<A::Error>> {
        retry_on_conflict(MAX_ATTEMPTS, || self.attempt::<A>(stream_id, command, ctx, meta)).await
    }

    /// Handles a command that creates the aggregate (a new id): decided on the empty state and
    /// appended expecting no stream, without reading the stream first. If the stream exists after
    /// all (a retry, or a reused id), it falls back to [`TenantStore::execute`], whose load,
    /// decision and recorded outcome answer it exactly as they would have.
    pub async fn create<A: Aggregate>(
        &self,
        stream_id: &str,
        command: &A::Command,
        ctx: &Context,
        meta: &CommandMeta,
    ) -> Result<CommandOutcome<A>, CommandError<A::Error>> {
        let mut state = A::default();
        let events = match state.decide(command, ctx) {
            Ok(events) if !events.is_empty() => events,
            _ => return self.execute::<A>(stream_id, command, ctx, meta).await,
        };
        let appended = self
            .append(
                meta,
                &[StreamAppend::new(stream_id, ExpectedVersion::NoStream, &events)],
            )
            .await;
        match appended {
            Ok(append) if !append.duplicate => {
                events.iter().for_each(|e| state.evolve(e));
                Ok(CommandOutcome {
                    state,
                    version: append.version_of(stream_id).unwrap_or(1),
                    events,
                    append: Some(append),
                })
            }
            Ok(_) => self.execute::<A>(stream_id, command, ctx, meta).await,
            Err(e) if e.is_conflict() => self.execute::<A>(stream_id, command, ctx, meta).await,
            Err(e) => Err(CommandError::Store(e)),
        }
    }

    async fn attempt<A: Aggregate>(
        &self,
        stream_id: &str,
        command: &A::Command,
        ctx: &Context,
        meta: &CommandMeta,
    ) -> Result<CommandOutcome<A>, CommandError<A::Error>> {
        let Loaded { mut state, version } = self.load::<A>(stream_id).await?;
        let events = match state.decide(command, ctx) {
            Ok(events) => events,
            Err(refusal) => {
                // A repeat of a command that already took effect is refused by the new state;
                // answer it with the first outcome instead.
                if let Some(first) = self.recorded_outcome(meta.command_id).await? {
                    return Ok(CommandOutcome {
                        state,
                        version,
                        events: vec![],
                        append: Some(first),
                    });
                }
                return Err(CommandError::Domain(refusal));
            }
        };
        if events.is_empty() {
            return Ok(CommandOutcome {
                state,
                version,
                events,
                append: None,
            });
        }
        let expected = ExpectedVersion::at(version);
        let append = self
            .append(meta, &[StreamAppend::new(stream_id, expected, &events)])
            .await?;
        if append.duplicate {
            let now = self.load::<A>(stream_id).await?;
            return Ok(CommandOutcome {
                state: now.state,
                version: now.version,
                events: vec![],
                append: Some(append),
            });
        }
        events.iter().for_each(|e| state.evolve(e));
        let new_version = append.version_of(stream_id).unwrap_or(version);
        if new_version / SNAPSHOT_EVERY > version / SNAPSHOT_EVERY {
            if let Err(error) = self.save_snapshot(stream_id, new_version, &state).await {
                tracing::warn!(stream_id, %error, "snapshot not saved; loads stay correct, only slower");
            }
        }
        Ok(CommandOutcome {
            state,
            version: new_version,
            events,
            append: Some(append),
        })
    }

    /// The outcome recorded for a command id, if the command already took effect.
    pub async fn recorded_outcome(&self, command_id: uuid::Uuid) -> Result<Option<AppendOutcome>, StoreError> {
        let row = sqlx::query_as(
            "SELECT true, streams, versions, positions, recorded_at FROM commands WHERE tenant_id = $1 AND command_id = $2",
        )
        .bind(self.tenant.uuid())
        .bind(command_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(crate::append::outcome))
    }
}
