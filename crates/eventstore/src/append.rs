//! Appending: one or more streams of one tenant, each with its own expectation, atomically, in a
//! single round trip to `brigade_append` (see migrations/0001_event_store.sql).

use crate::error::StoreError;
use crate::hash_chain::content_digest;
use crate::store::TenantStore;
use crate::stream::{
    AppendOutcome, CommandMeta, ExpectedVersion, Metadata, StreamAppend, StreamVersion, valid_stream_id,
};
use chrono::{DateTime, Utc};
use sqlx::Postgres;
use sqlx::postgres::{PgArguments, PgDatabaseError};
use sqlx::query::QueryAs;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// SQLSTATE raised by `brigade_append` when an expectation fails.
const CONFLICT: &str = "BR409";
/// SQLSTATE raised when a concurrent duplicate of the command was recorded first.
const RECORDED_MEANWHILE: &str = "BR208";
/// Two events at one version of a stream. For a stream expected not to exist, this key is the
/// check (`brigade_append_one` does not read the head of a new stream: a second version 1 is
/// refused here). Otherwise the stream lock prevents it; should a writer ever get past the lock
/// (a caller's transaction in REPEATABLE READ reads a stale head), the key does.
const VERSION_KEY: &str = "events_stream_version_key";
/// Two copies of one append (same event ids) racing: the second fails on this key.
const EVENT_ID_KEY: &str = "events_event_id_key";

/// The columnar arguments of `brigade_append`. Payloads and metadata travel as the exact JSON
/// text that is stored and hashed.
#[derive(Default)]
pub(crate) struct AppendArgs {
    pub(crate) streams: Vec<String>,
    pub(crate) expected: Vec<i64>,
    pub(crate) stream_idx: Vec<i32>,
    pub(crate) event_ids: Vec<Uuid>,
    pub(crate) types: Vec<String>,
    pub(crate) schemas: Vec<i32>,
    pub(crate) payloads: Vec<String>,
    pub(crate) metadata: Vec<String>,
    pub(crate) digests: Vec<Vec<u8>>,
}

impl AppendArgs {
    /// Binds the columns, in the order both `brigade_append` and `brigade_append_batch` take
    /// them after their leading arguments.
    pub(crate) fn bind_to<'q, O>(
        &'q self,
        query: QueryAs<'q, Postgres, O, PgArguments>,
    ) -> QueryAs<'q, Postgres, O, PgArguments> {
        query
            .bind(&self.streams)
            .bind(&self.expected)
            .bind(&self.stream_idx)
            .bind(&self.event_ids)
            .bind(&self.types)
            .bind(&self.schemas)
            .bind(&self.payloads)
            .bind(&self.metadata)
            .bind(&self.digests)
    }
}

fn columns(tenant: Uuid, appends: &[StreamAppend], meta: &str) -> Result<AppendArgs, StoreError> {
    let events: usize = appends.iter().map(|a| a.events.len()).sum();
    if events == 0 {
        return Err(StoreError::InvalidAppend("nothing to append".into()));
    }
    let mut args = AppendArgs {
        streams: Vec::with_capacity(appends.len()),
        expected: Vec::with_capacity(appends.len()),
        stream_idx: Vec::with_capacity(events),
        event_ids: Vec::with_capacity(events),
        types: Vec::with_capacity(events),
        schemas: Vec::with_capacity(events),
        payloads: Vec::with_capacity(events),
        metadata: Vec::with_capacity(events),
        digests: Vec::with_capacity(events),
    };
    for (i, a) in appends.iter().enumerate() {
        if !valid_stream_id(&a.stream_id) {
            return Err(StoreError::InvalidAppend(format!(
                "{:?} is not a stream id (<category>-<id>)",
                a.stream_id
            )));
        }
        if args.streams.contains(&a.stream_id) {
            return Err(StoreError::InvalidAppend(format!(
                "stream {} is named twice",
                a.stream_id
            )));
        }
        args.streams.push(a.stream_id.clone());
        args.expected.push(a.expected.encode());
        let idx = i32::try_from(i + 1).map_err(|_| StoreError::InvalidAppend("too many streams".into()))?;
        for e in &a.events {
            let payload = serde_json::to_string(&e.payload)?;
            args.digests.push(content_digest(
                tenant,
                &a.stream_id,
                e.event_id,
                &e.event_type,
                e.schema_version,
                &payload,
                meta,
            ));
            args.stream_idx.push(idx);
            args.event_ids.push(e.event_id);
            args.types.push(e.event_type.clone());
            args.schemas.push(e.schema_version);
            args.payloads.push(payload);
            args.metadata.push(meta.to_owned());
        }
    }
    Ok(args)
}

/// What an append failure means.
pub(crate) enum Failure {
    /// An expectation failed on this stream, which is at this version.
    Conflict(String, u64),
    /// Another writer took the version this append computed.
    VersionTaken,
    /// A concurrent duplicate of this command was recorded first.
    RecordedMeanwhile,
    /// An event id that is already stored (a racing copy of this append, or a reused id).
    EventIdTaken,
    /// Anything else.
    Other(sqlx::Error),
}

/// The failure an error raised by `brigade_append` stands for, from its SQLSTATE, detail and
/// violated constraint; `None` for an error the append does not raise on purpose.
pub(crate) fn known_failure(code: &str, detail: &str, constraint: Option<&str>) -> Option<Failure> {
    match code {
        CONFLICT => detail
            .rsplit_once('|')
            .map(|(stream, actual)| Failure::Conflict(stream.to_owned(), actual.parse().unwrap_or_default())),
        RECORDED_MEANWHILE => Some(Failure::RecordedMeanwhile),
        "23505" if constraint == Some(VERSION_KEY) => Some(Failure::VersionTaken),
        "23505" if constraint == Some(EVENT_ID_KEY) => Some(Failure::EventIdTaken),
        _ => None,
    }
}

fn classify(err: sqlx::Error) -> Failure {
    let sqlx::Error::Database(db) = &err else {
        return Failure::Other(err);
    };
    let detail = db
        .try_downcast_ref::<PgDatabaseError>()
        .and_then(|e| e.detail())
        .unwrap_or_default();
    let known = db.code().and_then(|code| known_failure(&code, detail, db.constraint()));
    known.unwrap_or(Failure::Other(err))
}

pub(crate) type OutcomeRow = (bool, Vec<String>, Vec<i64>, Vec<i64>, DateTime<Utc>);

pub(crate) fn outcome((duplicate, streams, versions, positions, recorded_at): OutcomeRow) -> AppendOutcome {
    let streams = streams
        .into_iter()
        .zip(versions)
        .map(|(stream_id, version)| StreamVersion {
            stream_id,
            version: u64::try_from(version).unwrap_or_default(),
        })
        .collect();
    AppendOutcome {
        duplicate,
        streams,
        positions,
        recorded_at,
    }
}

/// One command's append, alone in its own transaction (or in the caller's). One event to one
/// stream goes through `brigade_append_one` (migrations/0011_append_one.sql), the general case
/// through `brigade_append`: same guarantees, same answer.
pub(crate) async fn append_alone<'e>(
    executor: impl PgExecutor<'e>,
    tenant: Uuid,
    command_id: Uuid,
    a: &AppendArgs,
) -> Result<OutcomeRow, Failure> {
    if let ([stream], [expected], [event_id], [event_type], [schema], [payload], [metadata], [digest]) = (
        &a.streams[..],
        &a.expected[..],
        &a.event_ids[..],
        &a.types[..],
        &a.schemas[..],
        &a.payloads[..],
        &a.metadata[..],
        &a.digests[..],
    ) {
        return sqlx::query_as(
            "SELECT o_duplicate, o_streams, o_versions, o_positions, o_recorded_at \
             FROM brigade_append_one($1, $2, $3, $4, $5, $6, $7, $8::json, $9::json, $10)",
        )
        .bind(tenant)
        .bind(command_id)
        .bind(stream)
        .bind(expected)
        .bind(event_id)
        .bind(event_type)
        .bind(schema)
        .bind(payload)
        .bind(metadata)
        .bind(digest)
        .fetch_one(executor)
        .await
        .map_err(classify);
    }
    let query = sqlx::query_as(
        "SELECT o_duplicate, o_streams, o_versions, o_positions, o_recorded_at \
         FROM brigade_append($1, $2, $3, $4, $5, $6, $7, $8, $9::json[], $10::json[], $11)",
    )
    .bind(tenant)
    .bind(command_id);
    a.bind_to(query).fetch_one(executor).await.map_err(classify)
}

impl TenantStore {
    /// Appends to one or more streams atomically: all streams' expectations hold and every event
    /// is written, or nothing is. A command id seen before returns its first outcome (marked
    /// `duplicate`) and writes nothing.
    ///
    /// Concurrent appends of this process are committed in groups (see `group_commit`): the
    /// answer comes once the group's transaction is durable, and it is exactly the answer the
    /// append would have had alone.
    pub async fn append(&self, meta: &CommandMeta, appends: &[StreamAppend]) -> Result<AppendOutcome, StoreError> {
        let args = self.arguments(meta, appends)?;
        let result = self.group.append(self.tenant.uuid(), meta.command_id, args).await;
        let outcome = self.settle(meta, appends, result).await?;
        if !outcome.duplicate {
            self.waker.wake();
        }
        Ok(outcome)
    }

    /// Like [`append`](Self::append), inside a transaction the caller controls (used by tests
    /// that hold a transaction open, and by callers that write beside the events). Call
    /// [`wake_readers`](Self::wake_readers) after committing it.
    pub async fn append_in(
        &self,
        conn: &mut PgConnection,
        meta: &CommandMeta,
        appends: &[StreamAppend],
    ) -> Result<AppendOutcome, StoreError> {
        let args = self.arguments(meta, appends)?;
        let result = append_alone(conn, self.tenant.uuid(), meta.command_id, &args).await;
        self.settle(meta, appends, result).await
    }

    fn arguments(&self, meta: &CommandMeta, appends: &[StreamAppend]) -> Result<AppendArgs, StoreError> {
        let metadata = serde_json::to_string(&Metadata {
            tenant_id: self.tenant,
            command: meta.clone(),
        })?;
        columns(self.tenant.uuid(), appends, &metadata)
    }

    /// The caller's answer from what `brigade_append` did.
    async fn settle(
        &self,
        meta: &CommandMeta,
        appends: &[StreamAppend],
        result: Result<OutcomeRow, Failure>,
    ) -> Result<AppendOutcome, StoreError> {
        let failure = match result {
            Ok(row) => return Ok(outcome(row)),
            Err(failure) => failure,
        };
        // A failure may be a duplicate that raced the first copy of the command: answer it with
        // the first outcome, as a sequential repeat would be.
        if !matches!(failure, Failure::Other(_)) {
            if let Some(first) = self.recorded_outcome(meta.command_id).await? {
                return Ok(first);
            }
        }
        match failure {
            Failure::Conflict(stream_id, actual) => {
                let expected = appends
                    .iter()
                    .find(|a| a.stream_id == stream_id)
                    .map_or(ExpectedVersion::Any, |a| a.expected);
                Err(StoreError::Conflict {
                    stream_id,
                    expected,
                    actual,
                })
            }
            Failure::VersionTaken => {
                // Name the stream whose expectation no longer holds.
                for a in appends {
                    let actual = self.stream_version(&a.stream_id).await?;
                    let holds = match a.expected {
                        ExpectedVersion::Any => true,
                        ExpectedVersion::NoStream => actual == 0,
                        ExpectedVersion::Exact(n) => actual == n,
                    };
                    if !holds {
                        return Err(StoreError::Conflict {
                            stream_id: a.stream_id.clone(),
                            expected: a.expected,
                            actual,
                        });
                    }
                }
                Err(StoreError::InvalidAppend(
                    "a stream changed during the append; retry it".into(),
                ))
            }
            Failure::RecordedMeanwhile => Err(StoreError::InvalidAppend(
                "the command was recorded concurrently".into(),
            )),
            Failure::EventIdTaken => Err(StoreError::InvalidAppend(
                "an event id of this append is already stored".into(),
            )),
            Failure::Other(e) => Err(StoreError::Database(e)),
        }
    }
}
