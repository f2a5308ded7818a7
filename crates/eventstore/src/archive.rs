//! Export and import of events as NDJSON: a backup, or a tenant moving to another store.
//!
//! One line per event, in global-log order, with every stored column an auditor needs: the
//! position, ids, stream and version, type and schema version, the recorded time (microseconds),
//! the payload and metadata as the exact JSON text stored, and the hash. The hash covers all of
//! that but the position, so an import can check every event against its chain before it writes
//! anything, and `verify` passes on the store it fills.
//!
//! An import goes into an empty store, in one transaction (all or nothing), keeping ids, versions,
//! positions, times and hashes. Transaction ids are local to a PostgreSQL cluster and are not
//! carried over: the import gives the events synthetic ones (1, 2, 3...) that reproduce the
//! exported order. Within one id, order is by position, so a new id starts wherever the archive's
//! positions go down (two transactions that committed in the other order than their inserts).
//! The command log (idempotency, truncation checks) is rebuilt from the events' metadata.

use crate::error::StoreError;
use crate::global_log::GlobalPosition;
use crate::hash_chain::{HashedContent, event_hash};
use crate::store::EventStore;
use crate::stream::Xid8;
use brigade_domain::ids::TenantId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::io::{BufRead, Write};
use uuid::Uuid;

/// Which events an export takes. Every field narrows it; none gives the whole store.
#[derive(Clone, Debug, Default)]
pub struct ExportFilter {
    /// One tenant.
    pub tenant: Option<TenantId>,
    /// One stream category (`order` takes `order-...`).
    pub category: Option<String>,
    /// Recorded at or after.
    pub from: Option<DateTime<Utc>>,
    /// Recorded before.
    pub to: Option<DateTime<Utc>>,
}

/// One event, as one line of an archive.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedEvent {
    /// Global position in the source store.
    pub position: i64,
    /// Event id.
    pub event_id: Uuid,
    /// The organization it belongs to.
    pub tenant_id: Uuid,
    /// The stream it was appended to.
    pub stream_id: String,
    /// Version in its stream.
    pub version: i64,
    /// Type name.
    pub event_type: String,
    /// Schema version of the payload.
    pub schema_version: i32,
    /// When the source store recorded it (microseconds, as stored and hashed).
    pub recorded_at: DateTime<Utc>,
    /// The payload, byte for byte as stored.
    pub payload: Box<RawValue>,
    /// The metadata, byte for byte as stored.
    pub metadata: Box<RawValue>,
    /// Its hash (hex).
    pub hash: String,
}

/// Why an export or import stopped. An import that stops has written nothing.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// A line of the archive is malformed or does not fit its stream's chain.
    #[error("line {line}: {reason}")]
    Line {
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The target store already holds events.
    #[error("the target store is not empty ({events} events): import only into an empty store")]
    NotEmpty {
        /// How many.
        events: i64,
    },
    /// An event cannot be written as one NDJSON line.
    #[error("event {event_id}: its stored {field} spans several lines and cannot be exported as NDJSON")]
    MultiLine {
        /// The event.
        event_id: Uuid,
        /// `payload` or `metadata`.
        field: &'static str,
    },
    /// Reading or writing the archive failed.
    #[error("archive file: {0}")]
    Io(#[from] std::io::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ArchiveError {
    fn from(e: sqlx::Error) -> Self {
        ArchiveError::Store(StoreError::Database(e))
    }
}

/// What an import wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Events written.
    pub events: u64,
    /// Streams they belong to.
    pub streams: u64,
    /// Commands rebuilt into the command log.
    pub commands: u64,
    /// Transaction ids used to keep the exported order.
    pub transactions: u64,
}

#[derive(sqlx::FromRow)]
struct ExportRow {
    transaction_id: Xid8,
    position: i64,
    event_id: Uuid,
    tenant_id: Uuid,
    stream_id: String,
    version: i64,
    event_type: String,
    schema_version: i32,
    recorded_at: DateTime<Utc>,
    payload: String,
    metadata: String,
    hash: Vec<u8>,
}

const EXPORT_SELECT: &str = "SELECT transaction_id, position, event_id, tenant_id, stream_id, version, event_type, \
            schema_version, recorded_at, payload::text AS payload, metadata::text AS metadata, hash \
     FROM events \
     WHERE (transaction_id, position) > ($1::text::xid8, $2) \
       AND ($3::uuid IS NULL OR tenant_id = $3) \
       AND ($4::text IS NULL OR starts_with(stream_id, $4 || '-')) \
       AND ($5::timestamptz IS NULL OR recorded_at >= $5) \
       AND ($6::timestamptz IS NULL OR recorded_at < $6) \
     ORDER BY transaction_id, position LIMIT $7";

const EXPORT_COUNT: &str = "SELECT count(*) FROM events \
     WHERE ($1::uuid IS NULL OR tenant_id = $1) \
       AND ($2::text IS NULL OR starts_with(stream_id, $2 || '-')) \
       AND ($3::timestamptz IS NULL OR recorded_at >= $3) \
       AND ($4::timestamptz IS NULL OR recorded_at < $4)";

const EXPORT_BATCH: i64 = 10_000;
const IMPORT_BATCH: usize = 5_000;

fn raw(text: String, event_id: Uuid, field: &'static str) -> Result<Box<RawValue>, ArchiveError> {
    if text.contains(['\n', '\r']) {
        return Err(ArchiveError::MultiLine { event_id, field });
    }
    RawValue::from_string(text).map_err(|e| ArchiveError::Store(StoreError::Serialization(e)))
}

impl EventStore {
    /// About how many events an export with `filter` would write now (for a progress bar).
    pub async fn count_for_export(&self, filter: &ExportFilter) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(EXPORT_COUNT)
            .bind(filter.tenant.map(TenantId::uuid))
            .bind(filter.category.as_deref())
            .bind(filter.from)
            .bind(filter.to)
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// Writes the events `filter` selects to `out`, one JSON object per line, in global-log order:
    /// every event committed when it starts, read in one snapshot (a `REPEATABLE READ`
    /// transaction), so the archive is consistent however long it takes. Calls `progress` with
    /// the count written after each batch; returns the total.
    pub async fn export(
        &self,
        filter: &ExportFilter,
        out: &mut impl Write,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, ArchiveError> {
        let mut snapshot = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *snapshot)
            .await?;
        let mut after = GlobalPosition::START;
        let mut written = 0_u64;
        loop {
            let rows: Vec<ExportRow> = sqlx::query_as(EXPORT_SELECT)
                .bind(after.transaction_id.to_string())
                .bind(after.position)
                .bind(filter.tenant.map(TenantId::uuid))
                .bind(filter.category.as_deref())
                .bind(filter.from)
                .bind(filter.to)
                .bind(EXPORT_BATCH)
                .fetch_all(&mut *snapshot)
                .await?;
            let full = rows.len() == EXPORT_BATCH as usize;
            for row in rows {
                after = GlobalPosition {
                    transaction_id: row.transaction_id.0,
                    position: row.position,
                };
                let line = ArchivedEvent {
                    position: row.position,
                    event_id: row.event_id,
                    tenant_id: row.tenant_id,
                    stream_id: row.stream_id,
                    version: row.version,
                    event_type: row.event_type,
                    schema_version: row.schema_version,
                    recorded_at: row.recorded_at,
                    payload: raw(row.payload, row.event_id, "payload")?,
                    metadata: raw(row.metadata, row.event_id, "metadata")?,
                    hash: hex::encode(&row.hash),
                };
                serde_json::to_writer(&mut *out, &line).map_err(|e| ArchiveError::Store(e.into()))?;
                out.write_all(b"\n")?;
                written += 1;
            }
            progress(written);
            if !full {
                break;
            }
        }
        out.flush()?;
        snapshot.commit().await?;
        Ok(written)
    }

    /// Reads an archive and writes its events into this store, which must be empty, in one
    /// transaction. Every line is checked first against its stream's hash chain: an archive that
    /// was edited, or that does not hold whole streams in order, is refused with the line at fault,
    /// and nothing is written. Calls `progress` with the count of events read.
    pub async fn import(
        &self,
        input: impl BufRead,
        mut progress: impl FnMut(u64),
    ) -> Result<ImportReport, ArchiveError> {
        let mut tx = self.pool.begin().await?;
        // Nobody appends while the store is filled: the positions and order are the archive's.
        sqlx::query("LOCK TABLE events IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let events: i64 = sqlx::query_scalar("SELECT count(*) FROM (SELECT 1 FROM events LIMIT 1) e")
            .fetch_one(&mut *tx)
            .await?;
        if events > 0 {
            let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
                .fetch_one(&mut *tx)
                .await?;
            return Err(ArchiveError::NotEmpty { events });
        }
        let mut chains: HashMap<(Uuid, String), (i64, [u8; 32])> = HashMap::new();
        let mut batch = ImportBatch::default();
        let mut report = ImportReport {
            transactions: 1,
            ..ImportReport::default()
        };
        let mut last_position = 0_i64;
        for (index, line) in input.lines().enumerate() {
            let line_no = index as u64 + 1;
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let at = |reason: String| ArchiveError::Line { line: line_no, reason };
            let event: ArchivedEvent = serde_json::from_str(&line).map_err(|e| at(e.to_string()))?;
            let hash = chain(&mut chains, &event).map_err(at)?;
            if event.position <= last_position {
                report.transactions += 1;
            }
            last_position = event.position;
            batch.push(i64::try_from(report.transactions).unwrap_or(i64::MAX), event, hash);
            report.events += 1;
            if batch.len() == IMPORT_BATCH {
                batch.write(&mut tx).await?;
                progress(report.events);
            }
        }
        batch.write(&mut tx).await?;
        progress(report.events);
        if report.events > 0 {
            sqlx::query(
                "SELECT setval(pg_get_serial_sequence('events', 'position'), (SELECT max(position) FROM events))",
            )
            .execute(&mut *tx)
            .await?;
        }
        // Appends after the import must come after it in the log: their transaction ids must be
        // above the synthetic ones (only an archive whose positions go down at every line could
        // need more of those than the cluster has used).
        let own: i64 = sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
            .fetch_one(&mut *tx)
            .await?;
        if i64::try_from(report.transactions).unwrap_or(i64::MAX) >= own {
            return Err(ArchiveError::Line {
                line: report.events,
                reason: format!(
                    "the archive's positions go down {} times; this cluster cannot keep that order yet",
                    report.transactions - 1
                ),
            });
        }
        report.commands = sqlx::query(REBUILD_COMMANDS).execute(&mut *tx).await?.rows_affected();
        report.streams = chains.len() as u64;
        tx.commit().await?;
        Ok(report)
    }
}

/// Checks an archived event against the previous one of its stream and returns its hash.
fn chain(chains: &mut HashMap<(Uuid, String), (i64, [u8; 32])>, event: &ArchivedEvent) -> Result<[u8; 32], String> {
    let key = (event.tenant_id, event.stream_id.clone());
    let previous = chains.get(&key);
    let expected = previous.map_or(1, |(v, _)| v + 1);
    if event.version != expected {
        return Err(format!(
            "stream {} jumps to version {} where version {expected} was due: an archive holds whole streams, in order",
            event.stream_id, event.version
        ));
    }
    let stored = hex::decode(&event.hash).map_err(|e| format!("hash {:?} is not hex: {e}", event.hash))?;
    let content = HashedContent {
        tenant_id: event.tenant_id,
        stream_id: &event.stream_id,
        version: event.version,
        event_id: event.event_id,
        event_type: &event.event_type,
        schema_version: event.schema_version,
        recorded_at: event.recorded_at,
        payload: event.payload.get(),
        metadata: event.metadata.get(),
    };
    let computed = event_hash(previous.map(|(_, h)| h.as_slice()), &content);
    if computed.as_slice() != stored.as_slice() {
        return Err(format!(
            "event {} (stream {} version {}) does not match its hash: it was altered after export",
            event.event_id, event.stream_id, event.version
        ));
    }
    chains.insert(key, (event.version, computed));
    Ok(computed)
}

/// Rows waiting to be written, as columns.
#[derive(Default)]
struct ImportBatch {
    transaction: Vec<i64>,
    position: Vec<i64>,
    event_id: Vec<Uuid>,
    tenant_id: Vec<Uuid>,
    stream_id: Vec<String>,
    version: Vec<i64>,
    event_type: Vec<String>,
    schema_version: Vec<i32>,
    payload: Vec<String>,
    metadata: Vec<String>,
    recorded_at: Vec<DateTime<Utc>>,
    hash: Vec<Vec<u8>>,
}

impl ImportBatch {
    fn len(&self) -> usize {
        self.position.len()
    }

    fn push(&mut self, transaction: i64, e: ArchivedEvent, hash: [u8; 32]) {
        self.transaction.push(transaction);
        self.position.push(e.position);
        self.event_id.push(e.event_id);
        self.tenant_id.push(e.tenant_id);
        self.stream_id.push(e.stream_id);
        self.version.push(e.version);
        self.event_type.push(e.event_type);
        self.schema_version.push(e.schema_version);
        self.payload.push(e.payload.get().to_owned());
        self.metadata.push(e.metadata.get().to_owned());
        self.recorded_at.push(e.recorded_at);
        self.hash.push(hash.to_vec());
    }

    async fn write(&mut self, tx: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
        if self.len() == 0 {
            return Ok(());
        }
        let rows = std::mem::take(self);
        sqlx::query(
            "INSERT INTO events (transaction_id, position, event_id, tenant_id, stream_id, version, event_type, \
                                 schema_version, payload, metadata, recorded_at, hash) OVERRIDING SYSTEM VALUE \
             SELECT u.tx::text::xid8, u.pos, u.id, u.tenant, u.stream, u.ver, u.typ, u.sch, u.pay::json, u.meta::json, \
                    u.at, u.h \
             FROM unnest($1::bigint[], $2::bigint[], $3::uuid[], $4::uuid[], $5::text[], $6::bigint[], $7::text[], \
                         $8::integer[], $9::text[], $10::text[], $11::timestamptz[], $12::bytea[]) \
                  AS u(tx, pos, id, tenant, stream, ver, typ, sch, pay, meta, at, h)",
        )
        .bind(rows.transaction)
        .bind(rows.position)
        .bind(rows.event_id)
        .bind(rows.tenant_id)
        .bind(rows.stream_id)
        .bind(rows.version)
        .bind(rows.event_type)
        .bind(rows.schema_version)
        .bind(rows.payload)
        .bind(rows.metadata)
        .bind(rows.recorded_at)
        .bind(rows.hash)
        .execute(tx)
        .await?;
        Ok(())
    }
}

/// The command log, rebuilt from the events' metadata: each command's streams (in the order of
/// their first event), the version each reached, its positions and its time.
const REBUILD_COMMANDS: &str = "\
WITH ev AS (
    SELECT tenant_id, (metadata->>'command_id')::uuid AS command_id, stream_id, version, position, recorded_at
    FROM events WHERE metadata->>'command_id' IS NOT NULL
), per_stream AS (
    SELECT tenant_id, command_id, stream_id, max(version) AS version, min(position) AS first
    FROM ev GROUP BY tenant_id, command_id, stream_id
), streams AS (
    SELECT tenant_id, command_id, array_agg(stream_id ORDER BY first) AS streams,
           array_agg(version ORDER BY first) AS versions
    FROM per_stream GROUP BY tenant_id, command_id
), positions AS (
    SELECT tenant_id, command_id, array_agg(position ORDER BY position) AS positions, min(recorded_at) AS recorded_at
    FROM ev GROUP BY tenant_id, command_id
)
INSERT INTO commands (tenant_id, command_id, streams, versions, positions, recorded_at)
SELECT s.tenant_id, s.command_id, s.streams, s.versions, p.positions, p.recorded_at
FROM streams s JOIN positions p USING (tenant_id, command_id)";
