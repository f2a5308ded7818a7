//! `brigade-worker`: runs the relay (store -> JetStream) and/or projection workers
//! (JetStream/store -> read models). Run as many as you like: one relay and one worker per
//! projection are active at a time, the others stand by. Stops cleanly on Ctrl-C or SIGTERM,
//! finishing the batch in progress.

use anyhow::Context as _;
use brigade_eventstore::{EventStore, RelayConfig};
use brigade_projections::WorkerConfig;
use brigade_projections::runner::{Fanout, connect_nats};
use clap::{Parser, Subcommand};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "brigade-worker", version, about = "Brigade's relay and projection workers")]
struct Cli {
    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// NATS server URL, or several of a cluster separated by commas.
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    nats_url: String,
    /// Partitions per read model (a power of two; every worker process of an installation uses
    /// the same). Doubling it splits every partition; halving it needs a rebuild.
    #[arg(long, env = "BRIGADE_PARTITIONS", default_value = "1", value_parser = brigade_projections::partitions::parse_count)]
    partitions: u16,
    /// Copies of the JetStream stream the relay keeps: 1 on one server, 3 on a three-node cluster.
    #[arg(long, env = "BRIGADE_STREAM_REPLICAS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
    stream_replicas: u8,
    /// JetStream stream name.
    #[arg(long, env = "BRIGADE_STREAM", default_value = "BRIGADE_EVENTS")]
    stream: String,
    /// Subject prefix.
    #[arg(long, env = "BRIGADE_SUBJECT_PREFIX", default_value = "brigade.events")]
    subject_prefix: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Publish the event store's log to JetStream.
    Relay,
    /// Run projection workers (all read models unless named).
    Project {
        /// Projection names (kitchen_queue, stock, sales).
        names: Vec<String>,
    },
    /// The relay and every projection, in one process.
    All,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("brigade-worker: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let store = EventStore::connect(&cli.database_url, 8)
        .await
        .context("cannot connect to PostgreSQL")?;
    // Workers connect as a role that cannot change the schema: they migrate only when something
    // is missing (and then need the owner's role).
    store.migrate_if_needed().await.context(
        "migrations are missing and this role cannot apply them: run `brigade migrate` with the owner's DATABASE_URL",
    )?;
    let jetstream = connect_nats(&cli.nats_url).await.context("bad NATS URL")?;
    let all: Vec<String> = brigade_projections::models::all()
        .iter()
        .map(|p| p.name().to_owned())
        .collect();
    let (relay, projections) = match cli.command {
        Command::Relay => (true, vec![]),
        Command::Project { names } if names.is_empty() => (false, all),
        Command::Project { names } => (false, names),
        Command::All => (true, all),
    };
    let fanout = Fanout {
        relay,
        projections,
        relay_config: RelayConfig {
            stream: cli.stream.clone(),
            subject_prefix: cli.subject_prefix.clone(),
            replicas: usize::from(cli.stream_replicas),
            ..RelayConfig::default()
        },
        worker_config: WorkerConfig {
            stream: cli.stream,
            subject_prefix: cli.subject_prefix,
            ..WorkerConfig::default()
        },
        partitions: cli.partitions,
    };
    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    fanout.spawn(&store, Some(jetstream), &shutdown, &mut tasks)?;
    brigade_projections::runner::wait_for_signal().await;
    tracing::info!("shutting down: finishing the batches in progress");
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    Ok(())
}
