//! Appending: one or more streams of one tenant, each with its own expectation, atomically, in a
//! single round trip to `brigade_append` (see migrations/0001_event_store.sql).

use crate::error::StoreError;
use crate::store::TenantStore;
use crate::stream::{AppendOutcome, CommandMeta, ExpectedVersion, Metadata, StreamAppend, valid_stream_id};
use serde_json::Value;
use sqlx::postgres::PgDatabaseError;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// SQLSTATE raised by `brigade_append` when an expectation fails.
const CONFLICT_SQLSTATE: &str = "BR409";

/// The columnar arguments of `brigade_append`.
struct AppendArgs {
    streams: Vec<String>,
    expected: Vec<i64>,
    stream_idx: Vec<i32>,
    event_ids: Vec<Uuid>,
    types: Vec<String>,
    schemas: Vec<i32>,
    payloads: Vec<Value>,
    metadata: Vec<Value>,
}

fn columns(appends: &[StreamAppend], meta: &Value) -> Result<AppendArgs, StoreError> {
    if appends.iter().all(|a| a.events.is_empty()) {
        return Err(StoreError::InvalidAppend("nothing to append".into()));
    }
    let mut args = AppendArgs {
        streams: Vec::with_capacity(appends.len()),
        expected: Vec::with_capacity(appends.len()),
        stream_idx: vec![],
        event_ids: vec![],
        types: vec![],
        schemas: vec![],
        payloads: vec![],
        metadata: vec![],
    };
    for (i, a) in appends.iter().enumerate() {
        if !valid_stream_id(&a.stream_id) {
            return Err(StoreError::InvalidAppend(format!("{:?} is not a stream id (<category>-<id>)", a.stream_id)));
        }
        if args.streams.contains(&a.stream_id) {
            return Err(StoreError::InvalidAppend(format!("stream {} is named twice", a.stream_id)));
        }
        args.streams.push(a.stream_id.clone());
        args.expected.push(a.expected.encode());
        let idx = i32::try_from(i + 1).map_err(|_| StoreError::InvalidAppend("too many streams".into()))?;
        for e in &a.events {
            args.stream_idx.push(idx);
            args.event_ids.push(e.event_id);
            args.types.push(e.event_type.clone());
            args.schemas.push(e.schema_version);
            args.payloads.push(e.payload.clone());
            args.metadata.push(meta.clone());
        }
    }
    Ok(args)
}

fn conflict(err: sqlx::Error, appends: &[StreamAppend]) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        if db.code().as_deref() == Some(CONFLICT_SQLSTATE) {
            let detail = db.try_downcast_ref::<PgDatabaseError>().and_then(|e| e.detail()).unwrap_or_default();
            if let Some((stream_id, actual)) = detail.rsplit_once('|') {
                let expected = appends.iter().find(|a| a.stream_id == stream_id).map_or(ExpectedVersion::Any, |a| a.expected);
                return StoreError::Conflict {
                    stream_id: stream_id.to_owned(),
                    expected,
                    actual: actual.parse().unwrap_or_default(),
                };
            }
        }
    }
    StoreError::Database(err)
}

impl TenantStore {
    /// Appends to one or more streams atomically: all streams' expectations hold and every event
    /// is written, or nothing is. A command id seen before returns its first outcome (marked
    /// `duplicate`) and writes nothing.
    pub async fn append(&self, meta: &CommandMeta, appends: &[StreamAppend]) -> Result<AppendOutcome, StoreError> {
        self.append_with(&self.pool, meta, appends).await
    }

    /// Like [`append`](Self::append), inside a transaction the caller controls (used by tests
    /// that hold a transaction open, and by callers that write beside the events).
    pub async fn append_in(&self, conn: &mut PgConnection, meta: &CommandMeta, appends: &[StreamAppend]) -> Result<AppendOutcome, StoreError> {
        self.append_with(conn, meta, appends).await
    }

    async fn append_with<'e>(&self, executor: impl PgExecutor<'e>, meta: &CommandMeta, appends: &[StreamAppend]) -> Result<AppendOutcome, StoreError> {
        let metadata = serde_json::to_value(Metadata { tenant_id: self.tenant, command: meta.clone() })?;
        let a = columns(appends, &metadata)?;
        let result: Value = sqlx::query_scalar("SELECT brigade_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(self.tenant.uuid())
            .bind(meta.command_id)
            .bind(&a.streams)
            .bind(&a.expected)
            .bind(&a.stream_idx)
            .bind(&a.event_ids)
            .bind(&a.types)
            .bind(&a.schemas)
            .bind(&a.payloads)
            .bind(&a.metadata)
            .fetch_one(executor)
            .await
            .map_err(|e| conflict(e, appends))?;
        Ok(serde_json::from_value(result)?)
    }
}
