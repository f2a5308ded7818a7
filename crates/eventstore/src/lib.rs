//! Brigade's event store on PostgreSQL: the only source of truth.
//!
//! - append to one or several streams atomically, each with `Any | NoStream | Exact(n)`;
//! - idempotent by command id (a repeat returns the first result and writes nothing);
//! - every stream belongs to one tenant; [`TenantStore`] cannot see another tenant's events;
//! - a per-stream hash chain, verified by [`EventStore::verify`];
//! - export and import as NDJSON, and the audit queries of the replay CLI;
//! - upcasting of old schema versions on read (through the domain's `EventPayload`);
//! - snapshots, and loading an aggregate now, at a version, or at a moment;
//! - a gap-safe global log with prompt wake-up of tailing readers ([`Tail`]);
//! - the relay that publishes the log to NATS JetStream ([`Relay`]), leadership by lease;
//! - the command-handling loop with bounded retry on conflict ([`TenantStore::execute`]).

mod append;
mod archive;
mod audit;
pub mod batcher;
mod command;
mod envelope;
mod error;
mod flows;
mod global_log;
mod group_commit;
mod hash_chain;
mod installation;
mod lease;
mod load;
mod partition;
mod read;
mod relay;
mod seal;
mod snapshot;
mod store;
mod stream;
mod wake;

pub use archive::{ArchiveError, ArchivedEvent, ExportFilter, ImportReport};
pub use audit::AuditQuery;
pub use command::{CommandError, CommandOutcome, MAX_ATTEMPTS, SNAPSHOT_EVERY, retry_on_conflict};
pub use envelope::{Envelope, EnvelopeError, subject_for};
pub use error::StoreError;
pub use flows::RegistrationError;
pub use global_log::{GlobalPosition, LogRange, NOTIFY_CHANNEL, Tail, head, read_log, read_positions, readable_head};
pub use hash_chain::{Fault, FaultKind, IntegrityReport};
pub use installation::Exclusive;
pub use lease::Lease;
pub use load::Loaded;
pub use partition::{BadPartitionCount, MAX_PARTITIONS, Partition};
pub use relay::{Relay, RelayConfig, RelayError};
pub use seal::{Seal, SealError, SealedHead};
pub use snapshot::Snapshot;
pub use store::{EventStore, PING_AFTER_IDLE, TenantStore};
pub use stream::{
    AppendOutcome, CommandMeta, ExpectedVersion, Metadata, NewEvent, RecordedEvent, StreamAppend, StreamVersion,
};
