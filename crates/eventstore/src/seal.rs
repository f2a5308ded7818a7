//! Seals: every stream's head (version and hash) at a moment, written by a clean verification
//! for an auditor to keep outside the database.
//!
//! The hash chain shows edits made with plain SQL, but someone with superuser rights could
//! rewrite a stream and recompute its hashes (`sha256` is in PostgreSQL). A seal kept elsewhere
//! closes that for everything before it: a later verification against it checks that each sealed
//! version still has the sealed hash, and a hash covers the whole stream up to it. Its `digest`
//! (sha256 over its heads) is short enough to note down, and proves the seal file is the one
//! that was written.

use brigade_domain::ids::TenantId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use uuid::Uuid;

/// One stream's head.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedHead {
    /// The organization it belongs to.
    pub tenant_id: Uuid,
    /// The stream it was appended to.
    pub stream_id: String,
    /// Its last version then.
    pub version: u64,
    /// That event's hash (hex).
    pub hash: String,
}

/// Every stream's head at a moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seal {
    /// When it was taken.
    pub sealed_at: DateTime<Utc>,
    /// The tenant it covers (`None`: all).
    pub tenant_id: Option<TenantId>,
    /// Events verified when it was taken.
    pub events: u64,
    /// sha256 over the heads, one `tenant stream version hash` line each, in order (hex).
    pub digest: String,
    /// The heads, by tenant and stream.
    pub heads: Vec<SealedHead>,
}

/// Why a seal cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Its digest does not match its heads.
    #[error("its digest does not match its heads: the seal file was edited")]
    Edited,
    /// A hash is not hex.
    #[error("the head of {0} has a hash that is not hex")]
    BadHash(String),
}

impl Seal {
    pub(crate) fn new(
        tenant_id: Option<TenantId>,
        events: u64,
        heads: HashMap<(Uuid, String), (u64, Vec<u8>)>,
    ) -> Self {
        let mut heads: Vec<SealedHead> = heads
            .into_iter()
            .map(|((tenant_id, stream_id), (version, hash))| SealedHead {
                tenant_id,
                stream_id,
                version,
                hash: hex::encode(hash),
            })
            .collect();
        heads.sort_by(|a, b| (a.tenant_id, &a.stream_id).cmp(&(b.tenant_id, &b.stream_id)));
        Self {
            sealed_at: Utc::now(),
            tenant_id,
            events,
            digest: digest(&heads),
            heads,
        }
    }

    /// Checks that the seal is the one that was written (its digest matches its heads).
    pub fn check(&self) -> Result<(), SealError> {
        if digest(&self.heads) != self.digest {
            return Err(SealError::Edited);
        }
        for head in &self.heads {
            hex::decode(&head.hash).map_err(|_| SealError::BadHash(head.stream_id.clone()))?;
        }
        Ok(())
    }

    /// The sealed heads of one tenant (or all), by stream.
    pub(crate) fn heads_of(&self, tenant: Option<TenantId>) -> HashMap<(Uuid, String), (u64, Vec<u8>)> {
        self.heads
            .iter()
            .filter(|h| tenant.is_none_or(|t| t.uuid() == h.tenant_id))
            .filter_map(|h| {
                let hash = hex::decode(&h.hash).ok()?;
                Some(((h.tenant_id, h.stream_id.clone()), (h.version, hash)))
            })
            .collect()
    }
}

fn digest(heads: &[SealedHead]) -> String {
    let mut h = Sha256::new();
    for head in heads {
        h.update(format!("{} {} {} {}\n", head.tenant_id, head.stream_id, head.version, head.hash).as_bytes());
    }
    hex::encode(h.finalize())
}
