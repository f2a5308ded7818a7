//! `brigade-replay`: the auditor's and the operator's command line.
//!
//! Exit status: 0 when all is well; 1 when the answer is a finding (a fault in a hash chain, a
//! read model that differs from its rebuild); 2 when the command could not be carried out (bad
//! input, an unreachable database), with a one-line message; 130 when interrupted (a rebuild
//! resumes when run again).

mod archive;
mod audit;
mod cli;
mod connect;
mod input;
mod output;
mod rebuild;
mod state;
mod verify;

use clap::Parser;
use cli::{Audit, Cli, Command};
use output::Output;
use std::process::ExitCode;

/// What a command found.
pub enum Verdict {
    /// Done, nothing wrong.
    Clean,
    /// Done, and something is wrong (faults, differences).
    Findings,
    /// Stopped by Ctrl-C.
    Interrupted,
}

#[tokio::main]
async fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| eprintln!("brigade-replay: internal error: {info}")));
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let out = Output { json: cli.json };
    match run(cli, out).await {
        Ok(Verdict::Clean) => ExitCode::SUCCESS,
        Ok(Verdict::Findings) => ExitCode::from(1),
        Ok(Verdict::Interrupted) => ExitCode::from(130),
        Err(error) => {
            eprintln!("brigade-replay: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli, out: Output) -> anyhow::Result<Verdict> {
    // An import may target a brand-new database: it prepares the schema itself.
    let importing = matches!(cli.command, Command::Import { .. });
    let store = connect::connect(cli.database_url.as_deref(), !importing).await?;
    match &cli.command {
        Command::Audit(Audit::Stream {
            stream_id,
            tenant,
            at,
            version,
            diff,
        }) => {
            let args = audit::StreamArgs {
                stream_id,
                tenant: tenant.as_deref(),
                at: at.as_deref(),
                version: *version,
                diff: diff.as_deref(),
            };
            audit::stream(&store, out, args).await
        }
        Command::Audit(Audit::Actor { user, range }) => {
            let user = input::uuid("user", user)?;
            audit::across(&store, out, audit::Subject::Actor(user), range).await
        }
        Command::Audit(Audit::Correlation { id, range }) => {
            let id = input::uuid("correlation id", id)?;
            audit::across(&store, out, audit::Subject::Correlation(id), range).await
        }
        Command::Verify { tenant, seal, against } => {
            let args = verify::Args {
                tenant: tenant.as_deref(),
                seal: seal.as_deref(),
                against: against.as_deref(),
            };
            verify::run(&store, out, args).await
        }
        Command::Rebuild {
            projection,
            dry_run,
            restart,
            batch,
        } => {
            let how = rebuild::How {
                dry_run: *dry_run,
                restart: *restart,
                batch: *batch,
            };
            rebuild::run(store.pool(), out, projection, how).await
        }
        Command::Export { filter, output } => archive::export(&store, out, filter, output.as_deref()).await,
        Command::Import { file } => archive::import(&store, out, file).await,
    }
}
