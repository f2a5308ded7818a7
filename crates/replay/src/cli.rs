//! The command line: subcommands, arguments, and where connection settings come from (the same
//! environment variables as the server).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Audit Brigade's event store (who did what, the state at any moment, proof that nothing was
/// altered), move events in and out, and rebuild read models while the system keeps serving.
#[derive(Parser)]
#[command(name = "brigade-replay", version)]
pub struct Cli {
    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Machine-readable output: one JSON document on stdout (progress bars are not drawn).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Subcommand)]
pub enum Command {
    /// What happened, who did it, and what things looked like at a moment.
    #[command(subcommand)]
    Audit(Audit),
    /// Recompute every hash chain; exit 1 if any event was altered, removed or reordered.
    Verify {
        /// Only this tenant's streams.
        #[arg(long)]
        tenant: Option<String>,
        /// After a clean verification, write a seal (every stream's head and hash) to this file,
        /// to keep outside the database. An existing file is never overwritten.
        #[arg(long, value_name = "FILE")]
        seal: Option<PathBuf>,
        /// Also check that every stream head recorded in this seal still has its sealed hash:
        /// history before the seal cannot have been rewritten, even with its hashes recomputed.
        #[arg(long, value_name = "FILE")]
        against: Option<PathBuf>,
    },
    /// Rebuild read models from the event store into shadow tables and swap them in while live
    /// workers keep running. Interrupted, it resumes where it stopped when run again.
    Rebuild {
        /// A read model (kitchen_queue, stock, sales) or `all`.
        projection: String,
        /// Build and compare with the live model, reporting every difference; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Throw away an interrupted build and start from the beginning of the log.
        #[arg(long)]
        restart: bool,
        /// Events per transaction (smaller: shorter transactions, more of them).
        #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        batch: u32,
    },
    /// Write events as NDJSON, one per line, in the order of the global log.
    Export {
        #[command(flatten)]
        filter: ExportArgs,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Load an export into an empty store, keeping ids, versions, positions, times and hashes.
    Import {
        /// The NDJSON file written by `export`.
        file: PathBuf,
    },
}

/// Audit questions.
#[derive(Subcommand)]
pub enum Audit {
    /// Every event of a stream with its time, actor, command and correlation; or the aggregate's
    /// state at a moment or version; or what changed between two versions.
    Stream {
        /// The stream, e.g. order-0193...
        stream_id: String,
        /// The tenant (needed only when two tenants have a stream of that name).
        #[arg(long)]
        tenant: Option<String>,
        /// Show the state as it was at this time (RFC 3339, or a date: midnight UTC).
        #[arg(long, conflicts_with_all = ["version", "diff"])]
        at: Option<String>,
        /// Show the state as of this version.
        #[arg(long, conflicts_with = "diff")]
        version: Option<u64>,
        /// Show what changed between two versions: `3..7`.
        #[arg(long)]
        diff: Option<String>,
    },
    /// Everything one user did, across streams, in a time range.
    Actor {
        /// The user's id.
        user: String,
        #[command(flatten)]
        range: RangeArgs,
    },
    /// Everything one request (or job) did, across streams.
    Correlation {
        /// The correlation id (the request id).
        id: String,
        #[command(flatten)]
        range: RangeArgs,
    },
}

/// A time range and a cap, for questions across streams.
#[derive(Args)]
pub struct RangeArgs {
    /// Only this tenant's events.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Recorded at or after this time (RFC 3339, or a date).
    #[arg(long)]
    pub from: Option<String>,
    /// Recorded before this time (RFC 3339, or a date).
    #[arg(long)]
    pub to: Option<String>,
    /// At most this many events (the earliest).
    #[arg(long, default_value_t = 10_000)]
    pub limit: u32,
}

/// Which events an export takes.
#[derive(Args)]
pub struct ExportArgs {
    /// Only this tenant's events.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Only streams of this category (order, stock, purchase_order...).
    #[arg(long)]
    pub category: Option<String>,
    /// Recorded at or after this time (RFC 3339, or a date).
    #[arg(long)]
    pub from: Option<String>,
    /// Recorded before this time (RFC 3339, or a date).
    #[arg(long)]
    pub to: Option<String>,
}
