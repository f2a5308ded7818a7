//! Brigade's projection runtime and read models.
//!
//! Events reach read models through NATS JetStream (published by the store's relay) or, when a
//! projection is new, rebuilt, behind, or NATS is unavailable, straight from the store's global
//! log. Either way each event takes effect exactly once: rows and checkpoint commit together, the
//! checkpoint is compared-and-set, and anything at or below it is skipped. See `worker` and
//! `session` for how, and ARCHITECTURE.md for why.

mod applied;
mod balance;
mod checkpoint;
mod lag;
pub mod models;
pub mod partitions;
mod projection;
pub mod reports;
pub mod runner;
mod session;
mod shadow;
mod swap;
mod worker;

pub use applied::{Applied, WaitError};
pub use balance::{Balancer, WORKER_TTL};
pub use checkpoint::APPLIED_CHANNEL;
pub use lag::{LAG_COUNT_CAP, ProjectionLag, lag, request_retry};
pub use projection::{ApplyError, BoxFuture, Projection, types};
pub use session::SessionError;
pub use shadow::{
    RebuildError, ShadowBuild, ShadowRun, TableDifference, build_shadow, compare, shadow_checkpoint, shadow_schema,
};
pub use swap::{Comparison, Swapped};
pub use worker::{Worker, WorkerConfig, lease_name};
