//! Connecting to the store, with an error that says which database could not be reached and why
//! (the password masked).

use anyhow::{Context, bail};
use brigade_eventstore::EventStore;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// Connects to the store at `url`; with `require_schema`, checks that its schema is there.
pub async fn connect(url: Option<&str>, require_schema: bool) -> anyhow::Result<EventStore> {
    let Some(url) = url else {
        bail!("no database: set DATABASE_URL or pass --database-url (scripts/services.sh up writes it to .local/env)")
    };
    let shown = masked(url);
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!("--database-url {shown:?} is not a PostgreSQL URL (postgres://user:password@host:port/database)");
    }
    let options =
        PgConnectOptions::from_str(url).with_context(|| format!("--database-url {shown:?} is not a PostgreSQL URL"))?;
    // One connection first: its error says why (refused, unknown host, bad password), where a
    // pool would only say that it timed out.
    let probe = tokio::time::timeout(Duration::from_secs(10), PgConnection::connect_with(&options)).await;
    match probe {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
        }
        Ok(Err(e)) => bail!("cannot connect to {shown}: {e}"),
        Err(_) => bail!("cannot connect to {shown}: no answer within 10 s"),
    }
    let pool = PgPoolOptions::new()
        .max_connections(6)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .with_context(|| format!("cannot connect to {shown}"))?;
    let migrated: bool = sqlx::query_scalar("SELECT to_regclass('public.events') IS NOT NULL")
        .fetch_one(&pool)
        .await
        .with_context(|| format!("cannot query {shown}"))?;
    if require_schema && !migrated {
        bail!("{shown} has no event store (run `brigade migrate` first)");
    }
    Ok(EventStore::new(pool))
}

/// The URL with its password replaced by `***`.
fn masked(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            super::masked("postgres://brigade:secret@127.0.0.1:5432/brigade"),
            "postgres://brigade:***@127.0.0.1:5432/brigade"
        );
        assert_eq!(
            super::masked("postgres://127.0.0.1/brigade"),
            "postgres://127.0.0.1/brigade"
        );
    }
}
