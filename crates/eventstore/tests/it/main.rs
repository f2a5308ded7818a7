//! The eventstore crate's integration tests, one binary (one link) for all of them: a module per
//! subject.

mod aggregates;
mod appends;
mod global_log;
mod group_commit;
mod integrity;
mod snapshots;
