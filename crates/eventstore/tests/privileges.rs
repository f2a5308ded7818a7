//! Least privilege (issue 19): tried as an attacker holding the server's own credentials would,
//! the application's role cannot rewrite history (no UPDATE, DELETE, TRUNCATE or INSERT on the
//! log, no ALTER, no trigger switched off), yet appends and reads through the store as before. The
//! workers' and auditors' roles get no more than their work needs.
#![allow(clippy::unwrap_used)]

use brigade_eventstore::{EventStore, ExpectedVersion};
use brigade_testkit::events::{append, meta, stream, tenant};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use std::str::FromStr;

/// A login role of the test's own in `group`, and a connection to `pool`'s database as it.
struct Login {
    admin: PgPool,
    name: String,
    url: String,
}

impl Login {
    async fn new(admin: &PgPool, group: &str) -> Login {
        let name = format!("brigade_test_{group}_{}", uuid::Uuid::now_v7().simple());
        sqlx::query(&format!(
            "CREATE ROLE {name} LOGIN PASSWORD 'test-only' IN ROLE {group}"
        ))
        .execute(admin)
        .await
        .unwrap();
        let database: String = sqlx::query_scalar("SELECT current_database()")
            .fetch_one(admin)
            .await
            .unwrap();
        let server = PgConnectOptions::from_str(&std::env::var("DATABASE_URL").unwrap()).unwrap();
        let url = format!(
            "postgres://{name}:test-only@{}:{}/{database}",
            server.get_host(),
            server.get_port()
        );
        Login {
            admin: admin.clone(),
            name,
            url,
        }
    }

    async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.unwrap()
    }

    async fn drop_role(self, connections: Vec<PgConnection>) {
        for c in connections {
            let _ = c.close().await;
        }
        sqlx::query(&format!("DROP ROLE {}", self.name))
            .execute(&self.admin)
            .await
            .unwrap();
    }
}

/// Runs `sql` and returns its SQLSTATE (None when it succeeded).
async fn refused(connection: &mut PgConnection, sql: &str) -> Option<String> {
    match sqlx::query(sql).execute(&mut *connection).await {
        Ok(_) => None,
        Err(error) => Some(
            error
                .as_database_error()
                .and_then(|d| d.code())
                .map(|c| c.into_owned())
                .unwrap_or_else(|| error.to_string()),
        ),
    }
}

const INSUFFICIENT_PRIVILEGE: &str = "42501";

#[sqlx::test(migrations = "../../migrations")]
async fn the_applications_role_appends_and_reads_but_cannot_rewrite_history(pool: PgPool) {
    let owner = EventStore::new(pool.clone());
    let t = tenant();
    owner
        .tenant(t)
        .append(&meta(), &[append(&stream("order"), ExpectedVersion::NoStream, 2)])
        .await
        .unwrap();

    let app = Login::new(&pool, "brigade_app").await;
    let app_store = EventStore::connect(&app.url, 2).await.unwrap();
    // Appending goes through the store's functions: allowed, with every guarantee.
    let s = stream("order");
    let appended = app_store
        .tenant(t)
        .append(&meta(), &[append(&s, ExpectedVersion::NoStream, 1)])
        .await
        .unwrap();
    let conflict = app_store
        .tenant(t)
        .append(&meta(), &[append(&s, ExpectedVersion::NoStream, 1)])
        .await;
    assert!(conflict.is_err(), "the expected version still holds for the app's role");
    let read: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(app_store.pool())
        .await
        .unwrap();
    assert_eq!(read, 3);

    let mut c = app.connect().await;
    for sql in [
        "UPDATE events SET payload = '{}'",
        "DELETE FROM events",
        "TRUNCATE events",
        "INSERT INTO events (event_id, tenant_id, stream_id, version, event_type, schema_version, payload, metadata, recorded_at, hash) \
         SELECT gen_random_uuid(), tenant_id, stream_id, version + 100, event_type, schema_version, payload, metadata, recorded_at, hash FROM events LIMIT 1",
        "ALTER TABLE events DISABLE TRIGGER events_immutable",
        "ALTER TABLE events ADD COLUMN forged text",
        "DROP TABLE events",
        "UPDATE commands SET versions = '{}'",
        "DELETE FROM commands",
        "TRUNCATE commands",
        "ALTER FUNCTION brigade_append_one(uuid, uuid, text, bigint, uuid, text, integer, json, json, bytea) SECURITY INVOKER",
        "UPDATE kitchen_queue.tickets SET status = 'served'",
        "UPDATE projection_checkpoints SET position = 0",
        // Nothing of its own can stand in front of the append functions' tables: they run with
        // the owner's rights on the caller's search_path.
        "CREATE TEMP TABLE commands (tenant_id uuid, command_id uuid)",
        "CREATE TABLE public.commands_of_mine (x int)",
        "CREATE SCHEMA brigade_app",
    ] {
        assert_eq!(
            refused(&mut c, sql).await.as_deref(),
            Some(INSUFFICIENT_PRIVILEGE),
            "the app's role was allowed: {sql}"
        );
    }
    // What it may write, it may: a retry of a projection's parked events.
    assert_eq!(
        refused(&mut c, "UPDATE projection_checkpoints SET retry_requested = false").await,
        None
    );
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events WHERE position = $1")
            .bind(appended.positions[0])
            .fetch_one(&mut c)
            .await
            .unwrap(),
        1
    );

    // The same statements are what the owner could do: the refusals above are the roles', not
    // the schema's (rolled back).
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_immutable")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE events SET payload = '{}'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();

    app_store.pool().close().await;
    app.drop_role(vec![c]).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn workers_write_only_read_models_and_auditors_only_read(pool: PgPool) {
    EventStore::new(pool.clone())
        .tenant(tenant())
        .append(&meta(), &[append(&stream("order"), ExpectedVersion::NoStream, 1)])
        .await
        .unwrap();
    let worker = Login::new(&pool, "brigade_worker").await;
    let mut w = worker.connect().await;
    assert_eq!(refused(&mut w, "SELECT count(*) FROM events").await, None);
    assert_eq!(
        refused(
            &mut w,
            "INSERT INTO kitchen_queue.tenants (tenant_id, events) VALUES (gen_random_uuid(), 1)"
        )
        .await,
        None
    );
    assert_eq!(
        refused(&mut w, "INSERT INTO projection_checkpoints (name) VALUES ('x')").await,
        None
    );
    for sql in [
        "UPDATE events SET payload = '{}'",
        "DELETE FROM events",
        "TRUNCATE events",
        "ALTER TABLE events DISABLE TRIGGER events_immutable",
        "SELECT * FROM auth.credentials",
        "DROP SCHEMA kitchen_queue CASCADE",
        "SELECT o_duplicate FROM brigade_append_one(gen_random_uuid(), gen_random_uuid(), 's', 0, gen_random_uuid(), 't', 1, '{}', '{}', '\\x00')",
    ] {
        assert_eq!(
            refused(&mut w, sql).await.as_deref(),
            Some(INSUFFICIENT_PRIVILEGE),
            "the workers' role was allowed: {sql}"
        );
    }

    let reader = Login::new(&pool, "brigade_reader").await;
    let mut r = reader.connect().await;
    assert_eq!(refused(&mut r, "SELECT count(*) FROM events").await, None);
    assert_eq!(refused(&mut r, "SELECT count(*) FROM sales.orders").await, None);
    for sql in [
        "SELECT * FROM auth.credentials",
        "INSERT INTO kitchen_queue.tenants (tenant_id, events) VALUES (gen_random_uuid(), 1)",
        "UPDATE events SET payload = '{}'",
        "UPDATE projection_checkpoints SET retry_requested = true",
    ] {
        assert_eq!(
            refused(&mut r, sql).await.as_deref(),
            Some(INSUFFICIENT_PRIVILEGE),
            "the auditors' role was allowed: {sql}"
        );
    }
    worker.drop_role(vec![w]).await;
    reader.drop_role(vec![r]).await;
}
