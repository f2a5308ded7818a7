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
use crate::seal::Seal;
use crate::store::EventStore;
use brigade_domain::ids::TenantId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use uuid::Uuid;

/// The content an event's hash covers, as the database renders it.
#[derive(sqlx::FromRow)]
struct HashedRow {
    position: i64,
    tenant_id: Uuid,
    stream_id: String,
    version: i64,
    event_id: Uuid,
    event_type: String,
    schema_version: i32,
    recorded_at: DateTime<Utc>,
    payload_text: String,
    metadata_text: String,
    hash: Vec<u8>,
}

/// Everything an event's hash covers, borrowed: what the verifier reads back from the store and
/// what an import reads from an archive.
pub(crate) struct HashedContent<'a> {
    pub tenant_id: Uuid,
    pub stream_id: &'a str,
    pub version: i64,
    pub event_id: Uuid,
    pub event_type: &'a str,
    pub schema_version: i32,
    pub recorded_at: DateTime<Utc>,
    pub payload: &'a str,
    pub metadata: &'a str,
}

impl<'a> From<&'a HashedRow> for HashedContent<'a> {
    fn from(r: &'a HashedRow) -> Self {
        Self {
            tenant_id: r.tenant_id,
            stream_id: &r.stream_id,
            version: r.version,
            event_id: r.event_id,
            event_type: &r.event_type,
            schema_version: r.schema_version,
            recorded_at: r.recorded_at,
            payload: &r.payload_text,
            metadata: &r.metadata_text,
        }
    }
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
    let mut uuid_text = Uuid::encode_buffer();
    h.update(tenant.hyphenated().encode_lower(&mut uuid_text).as_bytes());
    h.update(b"\n");
    h.update(stream_id.as_bytes());
    h.update(b"\n");
    h.update(event_id.hyphenated().encode_lower(&mut uuid_text).as_bytes());
    h.update(b"\n");
    h.update(event_type.as_bytes());
    h.update(b"\n");
    h.update(schema_version.to_string().as_bytes());
    h.update(b"\n");
    h.update(payload.as_bytes());
    h.update(b"\n");
    h.update(metadata.as_bytes());
    h.finalize().to_vec()
}

/// An event's hash: chained to the previous event of its stream (`None` for the first).
pub(crate) fn event_hash(prev: Option<&[u8]>, c: &HashedContent<'_>) -> [u8; 32] {
    let digest = content_digest(
        c.tenant_id,
        c.stream_id,
        c.event_id,
        c.event_type,
        c.schema_version,
        c.payload,
        c.metadata,
    );
    let mut h = Sha256::new();
    if let Some(prev) = prev {
        h.update(prev);
    }
    h.update(&digest);
    h.update(format!("{}\n{}", c.version, c.recorded_at.timestamp_micros()).as_bytes());
    h.finalize().into()
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
    /// This event was stored before the one preceding it in the stream (versions swapped or
    /// renumbered): appends store a stream's events in version order.
    Reordered {
        /// The event.
        event_id: Uuid,
        /// The global position of the version before it, which is later than this one's.
        previous_position: i64,
    },
    /// The event at a version recorded in a seal no longer has the hash the seal recorded (or
    /// is gone): the stream's history up to the seal was rewritten, even if its chain was
    /// recomputed to look intact.
    SealBroken {
        /// The hash the seal recorded (hex).
        sealed_hash: String,
        /// The hash found now (hex), if the version still exists.
        found_hash: Option<String>,
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
    /// The organization it belongs to.
    pub tenant_id: TenantId,
    /// The stream it was appended to.
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

const BATCH: i64 = 20_000;

/// The previous event of the stream being followed.
struct Link {
    tenant_id: Uuid,
    stream_id: String,
    version: i64,
    position: i64,
    hash: Vec<u8>,
}

/// Where a verification is in `(tenant, stream, version)` order.
type Cursor = (Uuid, String, i64);

async fn fetch(pool: sqlx::PgPool, tenant: Option<Uuid>, after: Cursor) -> Result<Vec<HashedRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT position, tenant_id, stream_id, version, event_id, event_type, schema_version, recorded_at, \
                payload::text AS payload_text, metadata::text AS metadata_text, hash \
         FROM events WHERE (tenant_id, stream_id, version) > ($1, $2, $3) AND ($4::uuid IS NULL OR tenant_id = $4) \
         ORDER BY tenant_id, stream_id, version LIMIT $5",
    )
    .bind(after.0)
    .bind(after.1)
    .bind(after.2)
    .bind(tenant)
    .bind(BATCH)
    .fetch_all(&pool)
    .await
}

impl EventStore {
    /// Recomputes every hash chain (of one tenant, or all) and reports each fault.
    /// `progress` is called after each batch with the number of events checked so far.
    pub async fn verify(
        &self,
        tenant: Option<TenantId>,
        progress: impl FnMut(u64),
    ) -> Result<IntegrityReport, StoreError> {
        Ok(self.verify_against(tenant, None, progress).await?.0)
    }

    /// [`verify`](Self::verify), and also checks that every stream head recorded in `sealed`
    /// still has the hash it had then. Returns the report and a seal of the store as it is now.
    ///
    /// Streams are read in `(tenant, stream, version)` order, by the stream index, one batch
    /// ahead: the next batch is fetched while this one is hashed.
    pub async fn verify_against(
        &self,
        tenant: Option<TenantId>,
        sealed: Option<&Seal>,
        mut progress: impl FnMut(u64),
    ) -> Result<(IntegrityReport, Seal), StoreError> {
        let mut walk = Walk::new(tenant, sealed);
        let tenant = tenant.map(TenantId::uuid);
        let mut next = Some(tokio::spawn(fetch(
            self.pool.clone(),
            tenant,
            (Uuid::nil(), String::new(), 0),
        )));
        while let Some(fetching) = next.take() {
            let rows = fetching
                .await
                .map_err(|e| StoreError::Database(sqlx::Error::Protocol(e.to_string())))??;
            if let Some(tail) = rows.last()
                && rows.len() == BATCH as usize
            {
                let after = (tail.tenant_id, tail.stream_id.clone(), tail.version);
                next = Some(tokio::spawn(fetch(self.pool.clone(), tenant, after)));
            }
            for row in rows {
                walk.check(row);
            }
            progress(walk.report.events_checked);
        }
        let (mut report, heads) = walk.finish();
        report.streams_checked = heads.len() as u64;
        self.check_heads(tenant, &heads, &mut report).await?;
        let seal = Seal::new(tenant.map(TenantId), report.events_checked, heads);
        Ok((report, seal))
    }

    /// Compares each stream's last event with the highest version the command log recorded.
    async fn check_heads(
        &self,
        tenant: Option<Uuid>,
        heads: &Heads,
        report: &mut IntegrityReport,
    ) -> Result<(), StoreError> {
        let recorded: Vec<(Uuid, String, i64)> = sqlx::query_as(
            "SELECT c.tenant_id, r.stream_id, max(r.version) FROM commands c, unnest(c.streams, c.versions) AS r(stream_id, version) \
             WHERE ($1::uuid IS NULL OR c.tenant_id = $1) GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        for (tenant_id, stream_id, version) in recorded {
            let recorded_version = u64::try_from(version).unwrap_or_default();
            let last_event_version = heads.get(&(tenant_id, stream_id.clone())).map_or(0, |(v, _)| *v);
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

/// Each stream's last version and hash.
type Heads = HashMap<(Uuid, String), (u64, Vec<u8>)>;

/// A verification in progress: the previous event of the stream being followed, the heads of the
/// streams done, the seal being checked against, and the faults found.
struct Walk {
    link: Option<Link>,
    heads: Heads,
    /// The sealed heads not met yet: what is left at the end was removed since the seal.
    sealed: Heads,
    /// The sealed head of the stream being followed, if the seal has one.
    sealed_here: Option<(u64, Vec<u8>)>,
    report: IntegrityReport,
}

impl Walk {
    fn new(tenant: Option<TenantId>, seal: Option<&Seal>) -> Self {
        let sealed = seal.map(|s| s.heads_of(tenant)).unwrap_or_default();
        Self {
            link: None,
            heads: HashMap::new(),
            sealed,
            sealed_here: None,
            report: IntegrityReport::default(),
        }
    }

    /// Checks one event against the previous one of its stream (and against the seal), and
    /// makes it the previous one.
    fn check(&mut self, row: HashedRow) {
        let continues = self
            .link
            .as_ref()
            .is_some_and(|l| l.tenant_id == row.tenant_id && l.stream_id == row.stream_id);
        if !continues {
            self.close_stream();
            self.sealed_here = self.sealed.remove(&(row.tenant_id, row.stream_id.clone()));
        }
        let version = u64::try_from(row.version).unwrap_or_default();
        let fault = |kind| Fault {
            tenant_id: TenantId(row.tenant_id),
            stream_id: row.stream_id.clone(),
            version,
            kind,
        };
        let (expected_version, prev_hash, prev_position) = match self.link.as_ref() {
            Some(l) => (l.version + 1, Some(l.hash.as_slice()), l.position),
            None => (1, None, i64::MIN),
        };
        if row.version != expected_version {
            let from_version = u64::try_from(expected_version).unwrap_or_default();
            self.report.faults.push(fault(FaultKind::Missing { from_version }));
        } else if row.position < prev_position {
            self.report.faults.push(fault(FaultKind::Reordered {
                event_id: row.event_id,
                previous_position: prev_position,
            }));
        } else if event_hash(prev_hash, &HashedContent::from(&row)).as_slice() != row.hash.as_slice() {
            self.report
                .faults
                .push(fault(FaultKind::Altered { event_id: row.event_id }));
        }
        if let Some((sealed_version, sealed_hash)) = &self.sealed_here
            && *sealed_version == version
        {
            if *sealed_hash != row.hash {
                self.report.faults.push(fault(FaultKind::SealBroken {
                    sealed_hash: hex::encode(sealed_hash),
                    found_hash: Some(hex::encode(&row.hash)),
                }));
            }
            self.sealed_here = None;
        }
        self.report.events_checked += 1;
        match &mut self.link {
            Some(l) => {
                l.version = row.version;
                l.position = row.position;
                l.hash = row.hash;
            }
            None => {
                self.link = Some(Link {
                    tenant_id: row.tenant_id,
                    stream_id: row.stream_id,
                    version: row.version,
                    position: row.position,
                    hash: row.hash,
                });
            }
        }
    }

    /// Records the head of the stream just followed; a sealed version it never reached is gone.
    fn close_stream(&mut self) {
        if let Some(done) = self.link.take() {
            if let Some((version, hash)) = self.sealed_here.take() {
                self.report
                    .faults
                    .push(gone(done.tenant_id, &done.stream_id, version, &hash));
            }
            let version = u64::try_from(done.version).unwrap_or_default();
            self.heads
                .insert((done.tenant_id, done.stream_id), (version, done.hash));
        }
    }

    fn finish(mut self) -> (IntegrityReport, Heads) {
        self.close_stream();
        // Sealed streams of which no event is left at all.
        let mut vanished: Vec<_> = self.sealed.into_iter().collect();
        vanished.sort();
        for ((tenant_id, stream_id), (version, hash)) in vanished {
            self.report.faults.push(gone(tenant_id, &stream_id, version, &hash));
        }
        (self.report, self.heads)
    }
}

fn gone(tenant_id: Uuid, stream_id: &str, version: u64, sealed_hash: &[u8]) -> Fault {
    Fault {
        tenant_id: TenantId(tenant_id),
        stream_id: stream_id.to_owned(),
        version,
        kind: FaultKind::SealBroken {
            sealed_hash: hex::encode(sealed_hash),
            found_hash: None,
        },
    }
}
