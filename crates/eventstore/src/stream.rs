//! What goes into the store and what comes out: expectations, new events, recorded events.

use brigade_domain::ids::{TenantId, UserId};
use brigade_domain::{DecodeError, EventPayload};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use uuid::Uuid;

/// What an append expects of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedVersion {
    /// Whatever its version (including not existing yet).
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must be at exactly this version (0 means it must not exist).
    Exact(u64),
}

impl ExpectedVersion {
    /// What to expect of a stream that was loaded at `version`: that nothing was written since
    /// (for version 0, that it still does not exist).
    pub fn at(version: u64) -> Self {
        if version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(version)
        }
    }

    /// The encoding `brigade_append` takes: -1 any, 0 no stream, n exact.
    pub(crate) fn encode(self) -> i64 {
        match self {
            ExpectedVersion::Any => -1,
            ExpectedVersion::NoStream => 0,
            ExpectedVersion::Exact(n) => i64::try_from(n).unwrap_or(i64::MAX),
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any version"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::Exact(n) => write!(f, "version {n}"),
        }
    }
}

/// Who and what caused an append; stored with every event it writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandMeta {
    /// The command's id: the idempotency key of the append.
    pub command_id: Uuid,
    /// The request (or job) the command belongs to.
    pub correlation_id: Uuid,
    /// What caused it: the command id for a direct command, the causing event's id for a
    /// reaction.
    pub causation_id: Uuid,
    /// The acting user, if a person acted.
    pub actor: Option<UserId>,
}

impl CommandMeta {
    /// Metadata for a command issued directly by a user within a request.
    pub fn direct(command_id: Uuid, correlation_id: Uuid, actor: Option<UserId>) -> Self {
        Self {
            command_id,
            correlation_id,
            causation_id: command_id,
            actor,
        }
    }
}

/// The metadata stored with each event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The tenant (also a column; kept here so an event read alone says whose it is).
    pub tenant_id: TenantId,
    /// The command that wrote it.
    #[serde(flatten)]
    pub command: CommandMeta,
}

/// An event about to be appended.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// Its id (UUIDv7: time-ordered).
    pub event_id: Uuid,
    /// Stable external type name (`order.placed`).
    pub event_type: String,
    /// Schema version of the payload's shape.
    pub schema_version: i32,
    /// The payload.
    pub payload: Value,
}

impl NewEvent {
    /// Encodes a domain event with a fresh UUIDv7.
    pub fn from_domain<E: EventPayload>(event: &E) -> Self {
        let (event_type, schema_version, payload) = event.encode();
        Self {
            event_id: Uuid::now_v7(),
            event_type,
            schema_version,
            payload,
        }
    }
}

/// Events for one stream within an append.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamAppend {
    /// `<category>-<id>`.
    pub stream_id: String,
    /// What the stream must be at.
    pub expected: ExpectedVersion,
    /// The events, in order.
    pub events: Vec<NewEvent>,
}

impl StreamAppend {
    /// Events of one stream from domain events.
    pub fn new<E: EventPayload>(stream_id: impl Into<String>, expected: ExpectedVersion, events: &[E]) -> Self {
        Self {
            stream_id: stream_id.into(),
            expected,
            events: events.iter().map(NewEvent::from_domain).collect(),
        }
    }
}

/// Where one stream ended up after an append.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamVersion {
    /// The stream.
    pub stream_id: String,
    /// Its version after the append.
    pub version: u64,
}

/// The result of an append. A repeated command returns the first result, marked `duplicate`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendOutcome {
    /// True when the command id had already been recorded and nothing was written now.
    pub duplicate: bool,
    /// Each stream's version after the (first) append, in the order given.
    pub streams: Vec<StreamVersion>,
    /// Global positions of the events written, in the order given.
    pub positions: Vec<i64>,
    /// When the store recorded them.
    pub recorded_at: DateTime<Utc>,
}

impl AppendOutcome {
    /// The global position of the last event written: what a reader waits for to see this write.
    pub fn last_position(&self) -> Option<i64> {
        self.positions.iter().copied().max()
    }

    /// The version of one stream after the append.
    pub fn version_of(&self, stream_id: &str) -> Option<u64> {
        self.streams
            .iter()
            .find(|s| s.stream_id == stream_id)
            .map(|s| s.version)
    }
}

/// An event as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedEvent {
    /// Global position (unique; commit order is `(transaction_id, position)`).
    pub position: i64,
    /// The writing transaction's id.
    pub transaction_id: i64,
    /// Event id.
    pub event_id: Uuid,
    /// The organization it belongs to.
    pub tenant_id: TenantId,
    /// The stream it was appended to.
    pub stream_id: String,
    /// Version within the stream.
    pub version: u64,
    /// Type name.
    pub event_type: String,
    /// Stored schema version.
    pub schema_version: i32,
    /// Payload, the exact JSON text stored (and hashed); publish it as is, decode with `decode`.
    pub payload: String,
    /// Metadata, the exact JSON text stored; see `metadata()`.
    pub metadata: String,
    /// When the store recorded it.
    pub recorded_at: DateTime<Utc>,
}

impl RecordedEvent {
    /// Decodes the payload into a domain event, upcasting older schema versions.
    pub fn decode<E: EventPayload>(&self) -> Result<E, DecodeError> {
        E::decode_str(&self.event_type, self.schema_version, &self.payload)
    }

    /// The metadata: tenant, actor, command, correlation and causation ids.
    pub fn metadata(&self) -> Result<Metadata, serde_json::Error> {
        serde_json::from_str(&self.metadata)
    }

    /// The stream category (`order` for `order-...`).
    pub fn category(&self) -> &str {
        self.stream_id.split('-').next().unwrap_or_default()
    }
}

/// A PostgreSQL `xid8` (a 64-bit transaction id), decoded from its binary form so the server need
/// not render one as text per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Xid8(pub i64);

impl sqlx::Type<sqlx::Postgres> for Xid8 {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        sqlx::postgres::PgTypeInfo::with_name("xid8")
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Postgres> for Xid8 {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let bytes: [u8; 8] = match value.format() {
            sqlx::postgres::PgValueFormat::Binary => value.as_bytes()?.try_into()?,
            sqlx::postgres::PgValueFormat::Text => return Ok(Xid8(value.as_str()?.parse()?)),
        };
        // Transaction ids stay far below 2^63 (epoch 0 and 32-bit xids): the cast cannot wrap.
        Ok(Xid8(i64::from_be_bytes(bytes)))
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub position: i64,
    pub transaction_id: Xid8,
    pub event_id: Uuid,
    pub tenant_id: Uuid,
    pub stream_id: String,
    pub version: i64,
    pub event_type: String,
    pub schema_version: i32,
    pub payload: String,
    pub metadata: String,
    pub recorded_at: DateTime<Utc>,
}

/// The column list every event query selects, matching [`EventRow`]. Payload and metadata come as
/// text: readers get the stored bytes without building a JSON tree they may not need.
pub(crate) const EVENT_COLUMNS: &str = "position, transaction_id, event_id, tenant_id, \
     stream_id, version, event_type, schema_version, payload::text AS payload, metadata::text AS metadata, recorded_at";

impl From<EventRow> for RecordedEvent {
    fn from(r: EventRow) -> Self {
        Self {
            position: r.position,
            transaction_id: r.transaction_id.0,
            event_id: r.event_id,
            tenant_id: TenantId(r.tenant_id),
            stream_id: r.stream_id,
            version: u64::try_from(r.version).unwrap_or_default(),
            event_type: r.event_type,
            schema_version: r.schema_version,
            payload: r.payload,
            metadata: r.metadata,
            recorded_at: r.recorded_at,
        }
    }
}

/// Checks a stream id: `<category>-<rest>`, category in lowercase letters and underscores.
pub(crate) fn valid_stream_id(stream_id: &str) -> bool {
    match stream_id.split_once('-') {
        Some((category, rest)) => {
            !category.is_empty()
                && category.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && !rest.is_empty()
                && stream_id.len() <= 200
        }
        None => false,
    }
}
