//! `brigade`: migrate the schema, load the demo restaurant, and serve HTTP with the fan-out
//! in-process. Configuration comes from the environment, as listed in README.md.

use anyhow::Context as _;
use brigade_api::auth::tokens::Keys;
use brigade_api::demo;
use brigade_api::state::{AppState, Config};
use brigade_eventstore::EventStore;
use brigade_eventstore::RelayConfig;
use brigade_projections::WorkerConfig;
use brigade_projections::runner::Fanout;
use clap::{Parser, Subcommand};
use std::sync::Arc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// mimalloc rather than the system allocator: a request allocates and frees hundreds of small
/// buffers (JSON, SQL arguments, events), and glibc's malloc and free were a sixth of the
/// server's CPU under load (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Migrate, then serve the REST API (with health, readiness and metrics) and, unless told
    /// not to, run the relay and the projection workers in-process.
    /// Stops on Ctrl-C or SIGTERM, finishing requests and batches in hand.
    Serve(Box<ServeArgs>),
    /// Print the OpenAPI document the server serves at /openapi.json (no database needed), e.g.
    /// to generate a client offline.
    Openapi,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BRIGADE_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// NATS URL, or several of a cluster separated by commas (readiness reports the connection;
    /// the in-process workers use it).
    #[arg(long, env = "NATS_URL")]
    nats_url: Option<String>,
    /// Run the relay and every projection worker in this process (`false` when they run as
    /// `brigade-worker` processes of their own).
    #[arg(long, env = "BRIGADE_WORKERS", default_value_t = true, action = clap::ArgAction::Set)]
    workers: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "BRIGADE_BODY_LIMIT", default_value_t = 65_536)]
    body_limit: usize,
    /// Readiness fails when a read model is more than this many events behind.
    #[arg(long, env = "BRIGADE_READY_MAX_LAG", default_value_t = 10_000)]
    ready_max_lag: i64,
    /// Secret that signs access tokens (at least 32 bytes). Without it a random one is made, and
    /// access tokens do not survive a restart (refresh tokens do).
    #[arg(long, env = "BRIGADE_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Lets `POST /api/v1/organizations` create an organization once one exists (sent as
    /// `X-Bootstrap-Secret`). Without it, only the very first organization can be bootstrapped.
    #[arg(long, env = "BRIGADE_BOOTSTRAP_SECRET", hide_env_values = true)]
    bootstrap_secret: Option<String>,
    /// The platform operator's bearer token for the operations routes (`/api/v1/admin/*`).
    #[arg(long, env = "BRIGADE_OPERATOR_TOKEN", hide_env_values = true)]
    operator_token: Option<String>,
    /// Requests a second per user and organization (beyond the burst: 429 with Retry-After).
    #[arg(long, env = "BRIGADE_RATE_LIMIT", default_value_t = 50)]
    rate_limit: u32,
    /// Requests a user may make at once before the rate applies.
    #[arg(long, env = "BRIGADE_RATE_BURST", default_value_t = 100)]
    rate_burst: u32,
    /// Connections to PostgreSQL for requests (the workers have their own).
    #[arg(long, env = "BRIGADE_DB_CONNECTIONS", default_value_t = 16)]
    db_connections: u32,
    /// Partitions per read model for the in-process workers (a power of two; see brigade-worker).
    #[arg(long, env = "BRIGADE_PARTITIONS", default_value = "1", value_parser = brigade_projections::partitions::parse_count)]
    partitions: u16,
    /// Copies of the JetStream stream the in-process relay keeps (3 on a three-node cluster).
    #[arg(long, env = "BRIGADE_STREAM_REPLICAS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
    stream_replicas: u8,
    /// JetStream stream the in-process relay and workers use.
    #[arg(long, env = "BRIGADE_STREAM", default_value = "BRIGADE_EVENTS")]
    stream: String,
    /// Subject prefix of the events on it.
    #[arg(long, env = "BRIGADE_SUBJECT_PREFIX", default_value = "brigade.events")]
    subject_prefix: String,
    /// The screens' build to serve beside the API (`npm run build` in `screens/` makes it).
    #[arg(long, env = "BRIGADE_SCREENS_DIR", default_value = "screens/dist")]
    screens_dir: std::path::PathBuf,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs go to standard error; standard output carries what the command prints.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
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
    if let Command::Openapi = cli.command {
        let (_, document) = brigade_api::http::openapi::build();
        println!("{}", document.to_pretty_json()?);
        return Ok(());
    }
    let url = cli
        .database_url
        .context("DATABASE_URL is not set (scripts/services.sh up writes it to .local/env)")?;
    let connections = match &cli.command {
        Command::Serve(args) => args.db_connections,
        _ => 8,
    };
    let store = EventStore::connect(&url, connections)
        .await
        .context("cannot connect to PostgreSQL")?;
    match cli.command {
        // The server may connect as a role that cannot change the schema: it only migrates
        // when something is missing (and then needs the owner's role).
        Command::Serve(_) => store.migrate_if_needed().await.context(
            "migrations are missing and this role cannot apply them: run `brigade migrate` with the owner's DATABASE_URL",
        )?,
        _ => store.migrate().await.context("migration failed")?,
    }
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
            let logins = brigade_api::demo::logins::ensure(&store).await?;
            println!("logins (password \"{}\"):", brigade_api::demo::logins::DEMO_PASSWORD);
            for (name, role) in logins {
                println!(
                    "  {name:<6} {}",
                    serde_json::to_value(role)?.as_str().unwrap_or_default()
                );
            }
        }
        Command::Serve(args) => serve(store, *args).await?,
        Command::Openapi => unreachable!("answered before connecting"),
    }
    Ok(())
}

async fn serve(store: EventStore, args: ServeArgs) -> anyhow::Result<()> {
    let jetstream = match &args.nats_url {
        Some(url) => Some(
            brigade_projections::runner::connect_nats(url)
                .await
                .context("bad NATS URL")?,
        ),
        None => None,
    };
    let shutdown = CancellationToken::new();
    let mut workers = JoinSet::new();
    if args.workers {
        let all: Vec<String> = brigade_projections::models::all()
            .iter()
            .map(|p| p.name().to_owned())
            .collect();
        let fanout = Fanout {
            relay: true,
            projections: all,
            relay_config: RelayConfig {
                stream: args.stream.clone(),
                subject_prefix: args.subject_prefix.clone(),
                replicas: usize::from(args.stream_replicas),
                ..RelayConfig::default()
            },
            worker_config: WorkerConfig {
                stream: args.stream.clone(),
                subject_prefix: args.subject_prefix.clone(),
                ..WorkerConfig::default()
            },
            partitions: args.partitions,
        };
        fanout.spawn(&store, jetstream.clone(), &shutdown, &mut workers)?;
    }
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let keys = match &args.jwt_secret {
        Some(secret) => Keys::from_secret(secret.as_bytes()).context("BRIGADE_JWT_SECRET")?,
        None => {
            tracing::warn!(
                "BRIGADE_JWT_SECRET is not set: access tokens are signed with a random key and die with this process"
            );
            Keys::random()
        }
    };
    let config = Config {
        body_limit: args.body_limit,
        ready_max_lag: args.ready_max_lag,
        bootstrap_secret: args.bootstrap_secret,
        operator_token: args.operator_token,
        rate_per_second: args.rate_limit,
        rate_burst: args.rate_burst,
        screens_dir: screens(args.screens_dir),
        ..Config::default()
    };
    let state = Arc::new(AppState::new(store, jetstream.map(|js| js.client()), keys, config));
    let addr = listener.local_addr()?;
    let mut announce = format!("serving http://{addr}\n");
    if state.config.screens_dir.is_some() {
        announce.push_str(&format!("screens at http://{addr}/\n"));
    }
    // Said once, for whoever started the server. A supervisor that closed or stopped reading our
    // stdout must not bring the server down: `println!` would panic on the broken pipe.
    if let Err(error) = std::io::Write::write_all(&mut std::io::stdout().lock(), announce.as_bytes()) {
        tracing::warn!(%error, "could not print the address served (stdout is closed); serving anyway");
    }
    let server = tokio::spawn(brigade_api::http::serve(listener, state, shutdown.clone()));
    brigade_projections::runner::wait_for_signal().await;
    tracing::info!("shutting down: finishing the requests and batches in hand");
    shutdown.cancel();
    server.await??;
    while workers.join_next().await.is_some() {}
    Ok(())
}

/// The screens' build, if there is one: without it the server is an API alone, and says so.
fn screens(dir: std::path::PathBuf) -> Option<std::path::PathBuf> {
    if brigade_api::http::screens::is_built(&dir) {
        return Some(dir);
    }
    tracing::warn!(dir = %dir.display(), "no screens built there (npm run build in screens/): serving the API alone");
    None
}
