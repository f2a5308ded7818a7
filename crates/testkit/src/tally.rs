//! A test projection that records every event it applies, one row each, keyed by stream and
//! version: applying an event twice violates the key (and gets parked, which the tests check),
//! and a missing event shows as a missing row. It can be told to fail on one event (a poison).

use brigade_eventstore::RecordedEvent;
use brigade_projections::{ApplyError, BoxFuture, Projection};
use sqlx::{PgConnection, PgPool};
use std::sync::Mutex;

pub const TALLY_TYPES: &[&str] = &["counter.incremented", "expense.recorded"];

pub struct Tally {
    name: String,
    schema: String,
    types: Vec<String>,
    /// Fails on this stream at this version while set.
    pub poison: Mutex<Option<(String, u64)>>,
}

impl Tally {
    /// Creates its schema and table.
    pub async fn install(pool: &PgPool, name: &str) -> Tally {
        let schema = format!("tally_{name}");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(pool)
            .await
            .unwrap();
        sqlx::query(&format!(
            "CREATE TABLE {schema}.applied (stream_id text NOT NULL, version bigint NOT NULL, \
             position bigint NOT NULL, PRIMARY KEY (stream_id, version))"
        ))
        .execute(pool)
        .await
        .unwrap();
        Tally {
            name: name.into(),
            schema,
            types: brigade_projections::types(TALLY_TYPES),
            poison: Mutex::new(None),
        }
    }

    pub async fn count(&self, pool: &PgPool) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {}.applied", self.schema))
            .fetch_one(pool)
            .await
            .unwrap()
    }

    pub async fn versions(&self, pool: &PgPool, stream: &str) -> Vec<i64> {
        sqlx::query_scalar(&format!(
            "SELECT version FROM {}.applied WHERE stream_id = $1 ORDER BY version",
            self.schema
        ))
        .bind(stream)
        .fetch_all(pool)
        .await
        .unwrap()
    }
}

impl Projection for Tally {
    fn name(&self) -> &str {
        &self.name
    }
    fn schema(&self) -> &str {
        &self.schema
    }
    fn tables(&self) -> &[&'static str] {
        &["applied"]
    }
    fn event_types(&self) -> &[String] {
        &self.types
    }
    fn apply<'a>(
        &'a self,
        connection: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ApplyError>> {
        Box::pin(async move {
            let poison = self.poison.lock().unwrap().clone();
            if let Some(bad) = events
                .iter()
                .find(|e| poison.as_ref() == Some(&(e.stream_id.clone(), e.version)))
            {
                return Err(ApplyError::event(bad, "the tally was told to choke on this one"));
            }
            let streams: Vec<&str> = events.iter().map(|e| e.stream_id.as_str()).collect();
            let versions: Vec<i64> = events.iter().map(|e| e.version as i64).collect();
            let positions: Vec<i64> = events.iter().map(|e| e.position).collect();
            sqlx::query("INSERT INTO applied SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[])")
                .bind(streams)
                .bind(versions)
                .bind(positions)
                .execute(connection)
                .await?;
            Ok(())
        })
    }
}
