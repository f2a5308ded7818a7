-- Least privilege (ARCHITECTURE.md, "Database roles"). The migrations run as the owner of every
-- table; the processes connect as roles granted only what they do:
--
--   brigade_app     the API servers: read everything, write their own tables (sessions,
--                   credentials, idempotency, order numbers, snapshots), ask for a projection's
--                   retry, and append events only through the store's functions. No UPDATE,
--                   DELETE or TRUNCATE on events or commands, no ALTER, no trigger switched off:
--                   it owns nothing.
--   brigade_worker  the relay and the projection workers: read the log, write the read models,
--                   their checkpoints, leases' records and parked events, the relay's checkpoint.
--   brigade_reader  `brigade-replay verify`, `export` and `audit`: read the log and the read
--                   models, nothing of the credentials.
--
-- Roles belong to the whole PostgreSQL cluster, not to one database, so they are made here only
-- if missing (and several databases migrating at once may race to make them). scripts/services.sh
-- gives them logins locally; in production the DBA gives them to login roles of their own.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['brigade_app', 'brigade_worker', 'brigade_reader'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
END
$$;

-- Appending is the store's functions' business: they run with their owner's rights.
--
-- A SECURITY DEFINER function usually pins its search_path (SET search_path = ...), so that a
-- caller cannot put an object of its own in front of the function's tables. That SET costs every
-- call a configuration push and pop: 5-6% of brigade_append_one's rate at 8 clients, measured
-- with pgbench (BENCHMARKS.md, issue 19). Instead, no role but the owner can create anything a
-- name could resolve to: no CREATE on any schema (public's is revoked below; the read models'
-- schemas give only USAGE), no CREATE on the database (so no schema named after a role), and no
-- temporary objects (TEMPORARY is revoked from PUBLIC, so pg_temp stays empty for them).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
ALTER FUNCTION brigade_append(uuid, uuid, text[], bigint[], integer[], uuid[], text[], integer[], json[], json[], bytea[])
    SECURITY DEFINER;
ALTER FUNCTION brigade_append_one(uuid, uuid, text, bigint, uuid, text, integer, json, json, bytea)
    SECURITY DEFINER;
ALTER FUNCTION brigade_append_batch(uuid[], uuid[], integer[], integer[], text[], bigint[], integer[], uuid[], text[], integer[], json[], json[], bytea[])
    SECURITY DEFINER;
REVOKE EXECUTE ON FUNCTION brigade_append(uuid, uuid, text[], bigint[], integer[], uuid[], text[], integer[], json[], json[], bytea[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION brigade_append_one(uuid, uuid, text, bigint, uuid, text, integer, json, json, bytea) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION brigade_append_batch(uuid[], uuid[], integer[], integer[], text[], bigint[], integer[], uuid[], text[], integer[], json[], json[], bytea[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION brigade_append(uuid, uuid, text[], bigint[], integer[], uuid[], text[], integer[], json[], json[], bytea[]) TO brigade_app;
GRANT EXECUTE ON FUNCTION brigade_append_one(uuid, uuid, text, bigint, uuid, text, integer, json, json, bytea) TO brigade_app;
GRANT EXECUTE ON FUNCTION brigade_append_batch(uuid[], uuid[], integer[], integer[], text[], bigint[], integer[], uuid[], text[], integer[], json[], json[], bytea[]) TO brigade_app;

GRANT USAGE ON SCHEMA public, api, auth TO brigade_app;
GRANT SELECT ON ALL TABLES IN SCHEMA public, api, auth TO brigade_app;
GRANT INSERT, UPDATE, DELETE ON api.idempotency, api.order_numbers, auth.credentials, auth.refresh_tokens TO brigade_app;
GRANT INSERT, UPDATE ON snapshots TO brigade_app;
GRANT UPDATE (retry_requested) ON projection_checkpoints TO brigade_app;

GRANT USAGE ON SCHEMA public TO brigade_worker, brigade_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO brigade_worker, brigade_reader;
REVOKE SELECT ON _sqlx_migrations FROM brigade_reader;
GRANT INSERT, UPDATE, DELETE ON projection_checkpoints, projection_parked, projection_partitions,
    projection_workers, projection_owners, relay_checkpoints TO brigade_worker;

-- The read models' schemas: read by the API and the auditors, written by the workers. A rebuild
-- swaps in a schema of its own making, and gives it the same grants through this function.
CREATE FUNCTION brigade_grant_read_model(p_schema text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO brigade_app, brigade_worker, brigade_reader', p_schema);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO brigade_app, brigade_reader', p_schema);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO brigade_worker', p_schema);
END
$$;
SELECT brigade_grant_read_model(s) FROM unnest(ARRAY['kitchen_queue', 'stock', 'sales']) AS s;
