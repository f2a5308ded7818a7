//! The message the relay publishes for each event: the recorded event, and the global position of
//! the event published just before it.
//!
//! JetStream acknowledges a publish before it reaches disk, so a crash of the NATS machine can lose
//! acknowledged messages. `previous` lets a consumer notice: if it does not equal the consumer's
//! checkpoint, something between them is missing, and the consumer reads it from the store.

use crate::global_log::GlobalPosition;
use crate::stream::RecordedEvent;
use brigade_domain::ids::TenantId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;

/// One published event.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    /// The event, exactly as stored.
    pub event: RecordedEvent,
    /// The event the relay published before this one (the start of the log for the first).
    pub previous: GlobalPosition,
}

/// Everything but the payload and metadata, which [`Envelope::encode`] splices in as they are.
#[derive(Serialize)]
struct Head<'a> {
    previous: GlobalPosition,
    position: i64,
    transaction_id: i64,
    event_id: Uuid,
    tenant_id: Uuid,
    stream_id: &'a str,
    version: u64,
    event_type: &'a str,
    schema_version: i32,
    recorded_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct Wire<'a> {
    previous: GlobalPosition,
    position: i64,
    transaction_id: i64,
    event_id: Uuid,
    tenant_id: Uuid,
    #[serde(borrow)]
    stream_id: std::borrow::Cow<'a, str>,
    version: u64,
    #[serde(borrow)]
    event_type: std::borrow::Cow<'a, str>,
    schema_version: i32,
    recorded_at: DateTime<Utc>,
    #[serde(borrow)]
    payload: &'a RawValue,
    #[serde(borrow)]
    metadata: &'a RawValue,
}

/// Why a message could not be read as an envelope.
#[derive(Debug, thiserror::Error)]
#[error("not a Brigade event envelope: {0}")]
pub struct EnvelopeError(#[from] serde_json::Error);

impl Envelope {
    /// The message body (JSON; payload and metadata embedded verbatim).
    ///
    /// Payload and metadata are spliced in as stored rather than parsed again: PostgreSQL checked
    /// them when they were written (`json` columns), and re-parsing every event was the relay's
    /// largest cost after the publish itself.
    pub fn encode(event: &RecordedEvent, previous: GlobalPosition) -> Result<Vec<u8>, EnvelopeError> {
        let head = Head {
            previous,
            position: event.position,
            transaction_id: event.transaction_id,
            event_id: event.event_id,
            tenant_id: event.tenant_id.0,
            stream_id: &event.stream_id,
            version: event.version,
            event_type: &event.event_type,
            schema_version: event.schema_version,
            recorded_at: event.recorded_at,
        };
        let mut body = Vec::with_capacity(event.payload.len() + event.metadata.len() + 400);
        serde_json::to_writer(&mut body, &head)?;
        body.pop(); // the closing brace
        body.extend_from_slice(b",\"payload\":");
        body.extend_from_slice(event.payload.as_bytes());
        body.extend_from_slice(b",\"metadata\":");
        body.extend_from_slice(event.metadata.as_bytes());
        body.push(b'}');
        Ok(body)
    }

    /// Reads a message body.
    pub fn decode(body: &[u8]) -> Result<Self, EnvelopeError> {
        let wire: Wire<'_> = serde_json::from_slice(body)?;
        Ok(Envelope {
            previous: wire.previous,
            event: RecordedEvent {
                position: wire.position,
                transaction_id: wire.transaction_id,
                event_id: wire.event_id,
                tenant_id: TenantId(wire.tenant_id),
                stream_id: wire.stream_id.into_owned(),
                version: wire.version,
                event_type: wire.event_type.into_owned(),
                schema_version: wire.schema_version,
                payload: wire.payload.get().to_owned(),
                metadata: wire.metadata.get().to_owned(),
                recorded_at: wire.recorded_at,
            },
        })
    }

    /// The event's position in the global log.
    pub fn position(&self) -> GlobalPosition {
        GlobalPosition::of(&self.event)
    }
}

/// The subject an event is published on: `<prefix>.<tenant>.<category>.<name>`, so consumers can
/// filter by tenant, category (`*.order.>`) or type (`*.order.placed`). Event types are
/// `<category>.<name>`, both in `[a-z_]`, which are valid subject tokens.
pub fn subject_for(prefix: &str, event: &RecordedEvent) -> String {
    format!("{prefix}.{}.{}", event.tenant_id.0, event.event_type)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_envelope_reads_back_as_the_event_and_its_predecessor() {
        let event = RecordedEvent {
            position: 42,
            transaction_id: 7,
            event_id: Uuid::now_v7(),
            tenant_id: TenantId(Uuid::now_v7()),
            stream_id: "order-1".into(),
            version: 3,
            event_type: "order.served".into(),
            schema_version: 1,
            payload: r#"{"by": "x", "note": "a \"quoted\" word"}"#.into(),
            metadata: r#"{"tenant_id":"t"}"#.into(),
            recorded_at: Utc::now(),
        };
        let previous = GlobalPosition {
            transaction_id: 7,
            position: 41,
        };
        let body = Envelope::encode(&event, previous).unwrap();
        let back = Envelope::decode(&body).unwrap();
        assert_eq!(back, Envelope { event, previous });
        assert!(Envelope::decode(b"{\"previous\": 1}").is_err());
    }
}
