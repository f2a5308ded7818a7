//! Tamper evidence. Each event's hash chains it to the previous event of its stream:
//!
//! ```text
//! digest = sha256(tenant \n stream \n event id \n type \n schema version \n payload \n metadata)
//! hash   = sha256(previous hash || digest || "<version>\n<recorded_at in µs since epoch>")
//! ```
//! The writer computes the digest over the exact JSON text it stores (payloads are `json`, kept
//! byte for byte); `brigade_append` chains it once the stream's version and time are known. The
//! verifier recomputes both from the stored rows, so an edit made with plain SQL, or a deleted
//! event, shows up as a fault naming the stream and version.

use crate::error::StoreError;
use crate::store::EventStore;
use brigade_domain::ids::TenantId;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use uuid::Uuid;

/// The content an event's hash covers, as the database renders it.
#[derive(sqlx::FromRow)]
struct HashedRow {
    tenant_id: Uuid,
    stream_id: String,
    version: i64,
    event_id: Uuid,
    event_type: String,
    schema_version: i32,
    recorded_micros: i64,
    payload_text: String,
    metadata_text: String,
    hash: Vec<u8>,
}

/// The digest of an event's content, as the writer sends it and the verifier recomputes it.
pub(crate) fn content_digest(
    tenant: Uuid,
    stream_id: &str,
    event_id: Uuid,
    event_type: &str,
    schema_version: i32,
    payload: &str,
    metadata: &str,
) -> Vec<u8> {
    let mut h = Sha256::new();
    for part in [
        tenant.to_string().as_str(),
        stream_id,
        event_id.to_string().as_str(),
        event_type,
        schema_version.to_string().as_str(),
        payload,
    ] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    h.update(metadata.as_bytes());
    h.finalize().to_vec()
}

fn compute(prev: Option<&[u8]>, r: &HashedRow) -> Vec<u8> {
    let digest = content_digest(
        r.tenant_id,
        &r.stream_id,
        r.event_id,
        &r.event_type,
        r.schema_version,
        &r.payload_text,
        &r.metadata_text,
    );
    let mut h = Sha256::new();
    if let Some(prev) = prev {
        h.update(prev);
    }
    h.update(&digest);
    h.update(format!("{}\n{}", r.version, r.recorded_micros).as_bytes());
    h.finalize().to_vec()
}

/// What is wrong with one event or stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FaultKind {
    /// The stored content no longer matches its hash (edited payload, metadata, type, time,
    /// version, or a hash that no longer links to its predecessor).
    Altered {
        /// The event.
        event_id: Uuid,
    },
    /// Versions are missing before this one (events deleted).
    Missing {
        /// The first missing version.
        from_version: u64,
    },
    /// The command log records that the stream reached a version it no longer has: its last
    /// events were deleted.
    Truncated {
        /// The highest version the command log records for the stream.
        recorded_version: u64,
        /// The last event found (0: none).
        last_event_version: u64,
    },
}

/// One fault, located.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fault {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Stream.
    pub stream_id: String,
    /// Version of the event concerned.
    pub version: u64,
    /// What is wrong.
    #[serde(flatten)]
    pub kind: FaultKind,
}

/// The outcome of a verification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IntegrityReport {
    /// Events whose hash was recomputed.
    pub events_checked: u64,
    /// Streams whose chain was followed and compared with the command log.
    pub streams_checked: u64,
    /// Every fault found, in stream order.
    pub faults: Vec<Fault>,
}

const BATCH: i64 = 10_000;

impl EventStore {
    /// Recomputes every hash chain (of one tenant, or all) and reports each fault.
    /// `progress` is called after each batch with the number of events checked so far.
    pub async fn verify(
        &self,
        tenant: Option<TenantId>,
        mut progress: impl FnMut(u64),
    ) -> Result<IntegrityReport, StoreError> {
        let tenant = tenant.map(TenantId::uuid);
        let mut report = IntegrityReport::default();
        let mut last: HashMap<(Uuid, String), (u64, Vec<u8>)> = HashMap::new();
        let (mut cursor_tenant, mut cursor_stream, mut cursor_version) = (Uuid::nil(), String::new(), 0_i64);
        let mut prev: Option<(Uuid, String, i64, Vec<u8>)> = None;
        loop {
            let rows: Vec<HashedRow> = sqlx::query_as(
                "SELECT tenant_id, stream_id, version, event_id, event_type, schema_version, \
                        (extract(epoch FROM recorded_at) * 1000000)::bigint AS recorded_micros, \
                        payload::text AS payload_text, metadata::text AS metadata_text, hash \
                 FROM events WHERE (tenant_id, stream_id, version) > ($1, $2, $3) AND ($4::uuid IS NULL OR tenant_id = $4) \
                 ORDER BY tenant_id, stream_id, version LIMIT $5",
            )
            .bind(cursor_tenant)
            .bind(&cursor_stream)
            .bind(cursor_version)
            .bind(tenant)
            .bind(BATCH)
            .fetch_all(&self.pool)
            .await?;
            let Some(tail) = rows.last() else { break };
            (cursor_tenant, cursor_stream, cursor_version) = (tail.tenant_id, tail.stream_id.clone(), tail.version);
            for row in &rows {
                let same_stream = prev
                    .as_ref()
                    .is_some_and(|(t, s, _, _)| *t == row.tenant_id && *s == row.stream_id);
                let (expected_version, prev_hash) = match &prev {
                    Some((_, _, v, h)) if same_stream => (v + 1, Some(h.as_slice())),
                    _ => (1, None),
                };
                let version = u64::try_from(row.version).unwrap_or_default();
                let fault = |kind| Fault {
                    tenant_id: TenantId(row.tenant_id),
                    stream_id: row.stream_id.clone(),
                    version,
                    kind,
                };
                if row.version != expected_version {
                    let from_version = u64::try_from(expected_version).unwrap_or_default();
                    report.faults.push(fault(FaultKind::Missing { from_version }));
                } else if compute(prev_hash, row) != row.hash {
                    report.faults.push(fault(FaultKind::Altered { event_id: row.event_id }));
                }
                last.insert((row.tenant_id, row.stream_id.clone()), (version, row.hash.clone()));
                prev = Some((row.tenant_id, row.stream_id.clone(), row.version, row.hash.clone()));
                report.events_checked += 1;
            }
            progress(report.events_checked);
        }
        self.check_heads(tenant, &last, &mut report).await?;
        Ok(report)
    }

    /// Compares each stream's last event with the highest version the command log recorded.
    async fn check_heads(
        &self,
        tenant: Option<Uuid>,
        last: &HashMap<(Uuid, String), (u64, Vec<u8>)>,
        report: &mut IntegrityReport,
    ) -> Result<(), StoreError> {
        let recorded: Vec<(Uuid, String, i64)> = sqlx::query_as(
            "SELECT c.tenant_id, r.stream_id, max(r.version) FROM commands c, unnest(c.streams, c.versions) AS r(stream_id, version) \
             WHERE ($1::uuid IS NULL OR c.tenant_id = $1) GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        report.streams_checked = last.len() as u64;
        for (tenant_id, stream_id, version) in recorded {
            let recorded_version = u64::try_from(version).unwrap_or_default();
            let last_event_version = last.get(&(tenant_id, stream_id.clone())).map_or(0, |(v, _)| *v);
            if last_event_version < recorded_version {
                report.faults.push(Fault {
                    tenant_id: TenantId(tenant_id),
                    stream_id,
                    version: recorded_version,
                    kind: FaultKind::Truncated {
                        recorded_version,
                        last_event_version,
                    },
                });
            }
        }
        Ok(())
    }
}
