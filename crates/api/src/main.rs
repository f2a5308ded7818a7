//! `brigade`: migrate the schema and load the demo restaurant (the REST API's `serve` arrives with
//! issue #4). Configuration comes from the environment, as listed in README.md.

use anyhow::Context as _;
use brigade_api::demo;
use brigade_eventstore::EventStore;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "brigade", version, about = "Brigade: the event-sourced core of a restaurant")]
struct Cli {
    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply the schema migrations (idempotent).
    Migrate,
    /// Migrate, then load the demo restaurant unless it is already there.
    Demo,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("brigade: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let url = cli
        .database_url
        .context("DATABASE_URL is not set (scripts/services.sh up writes it to .local/env)")?;
    let store = EventStore::connect(&url, 8)
        .await
        .context("cannot connect to PostgreSQL")?;
    store.migrate().await.context("migration failed")?;
    match cli.command {
        Command::Migrate => println!("schema is up to date"),
        Command::Demo => {
            let summary = demo::load(&store, chrono::Utc::now()).await?;
            if summary.loaded {
                println!(
                    "demo restaurant loaded: {} commands, {} events (tenant {})",
                    summary.commands,
                    summary.events,
                    demo::demo_tenant()
                );
            } else {
                println!(
                    "demo restaurant already loaded: {} events (tenant {})",
                    summary.events,
                    demo::demo_tenant()
                );
            }
        }
    }
    Ok(())
}
