-- Brigade's event store: the only source of truth. Everything else is rebuilt from these tables.

-- One row per stream: its tenant, current version and the hash of its last event. Appends lock
-- this row (SELECT ... FOR UPDATE), which is what serialises writers of one stream and makes
-- "exactly one of two racing writers wins" hold.
CREATE TABLE streams (
    tenant_id   uuid        NOT NULL,
    stream_id   text        NOT NULL CHECK (stream_id ~ '^[a-z_]+-.+$' AND length(stream_id) <= 200),
    category    text        NOT NULL,
    version     bigint      NOT NULL CHECK (version >= 0),
    last_hash   bytea,
    PRIMARY KEY (tenant_id, stream_id)
);

CREATE TABLE events (
    -- Global position: assigned at insert, unique, but NOT visible in commit order.
    position        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The writing transaction. Readers of the global log only read below the oldest transaction
    -- still in flight (pg_snapshot_xmin), and order by (transaction_id, position): a commit can
    -- then never appear behind a reader's checkpoint.
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    event_id        uuid        NOT NULL UNIQUE,
    tenant_id       uuid        NOT NULL,
    stream_id       text        NOT NULL,
    version         bigint      NOT NULL CHECK (version >= 1),
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL CHECK (schema_version >= 1),
    payload         jsonb       NOT NULL,
    metadata        jsonb       NOT NULL,
    recorded_at     timestamptz NOT NULL,
    -- sha256(previous event's hash in the stream || this event's canonical content).
    hash            bytea       NOT NULL,
    -- Reading a stream forward from a version, and the version-gap check, use this index.
    CONSTRAINT events_stream_version_key UNIQUE (tenant_id, stream_id, version),
    CONSTRAINT events_stream_fk FOREIGN KEY (tenant_id, stream_id) REFERENCES streams (tenant_id, stream_id)
);

-- Stored events are never rewritten: schema changes are read through upcasters instead.
CREATE FUNCTION brigade_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable: % refused', TG_OP USING ERRCODE = 'BR403';
END
$$;
CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION brigade_events_immutable();

-- The global log is read in (transaction_id, position) order from a checkpoint.
CREATE INDEX events_global_order ON events (transaction_id, position);

-- Idempotency: one row per command id per tenant, holding the result of its append. A repeat of
-- the command returns this result and writes nothing.
CREATE TABLE commands (
    tenant_id   uuid        NOT NULL,
    command_id  uuid        NOT NULL,
    result      jsonb,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, command_id)
);

-- Snapshots: an optimisation only. State of an aggregate at a version, in the shape of its
-- snapshot_version; a snapshot of another shape is ignored.
CREATE TABLE snapshots (
    tenant_id        uuid        NOT NULL,
    stream_id        text        NOT NULL,
    snapshot_version integer     NOT NULL,
    version          bigint      NOT NULL,
    state            jsonb       NOT NULL,
    taken_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, stream_id),
    FOREIGN KEY (tenant_id, stream_id) REFERENCES streams (tenant_id, stream_id)
);

-- The bytes an event's hash covers. Kept in one SQL function so that the append computes it one
-- way; the Rust verifier (eventstore::hash_chain) recomputes the same bytes independently.
CREATE FUNCTION brigade_event_hash(
    prev bytea, p_tenant uuid, p_stream text, p_version bigint, p_event_id uuid, p_type text,
    p_schema integer, p_payload jsonb, p_metadata jsonb, p_recorded timestamptz
) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sha256(coalesce(prev, ''::bytea) || convert_to(
        p_tenant::text || E'\n' || p_stream || E'\n' || p_version::text || E'\n' || p_event_id::text
        || E'\n' || p_type || E'\n' || p_schema::text || E'\n'
        || (extract(epoch FROM p_recorded) * 1000000)::bigint::text
        || E'\n' || p_payload::text || E'\n' || p_metadata::text, 'UTF8'))
$$;

-- Appends events to one or more streams of one tenant, atomically, in one round trip.
--   p_streams/p_expected: the streams touched and what each expects:
--       -1 = any, 0 = the stream must not exist, n > 0 = the stream must be at exactly version n.
--   p_stream_idx: for each event, the index (1-based) of its stream in p_streams.
-- Returns the result as jsonb: {"duplicate": bool, "streams": [{"stream_id", "version"}], "positions": [..]}.
-- A failed expectation raises SQLSTATE 'BR409' with the detail "<stream_id>|<actual version>".
CREATE FUNCTION brigade_append(
    p_tenant uuid, p_command uuid, p_streams text[], p_expected bigint[],
    p_stream_idx integer[], p_event_ids uuid[], p_types text[], p_schemas integer[],
    p_payloads jsonb[], p_metadata jsonb[]
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_result    jsonb;
    v_now       timestamptz := clock_timestamp();
    v_order     integer[];
    v_versions  bigint[] := array_fill(0::bigint, ARRAY[cardinality(p_streams)]);
    v_hashes    bytea[]  := array_fill(NULL::bytea, ARRAY[cardinality(p_streams)]);
    v_positions bigint[] := '{}';
    v_stream    text;
    v_idx       integer;
    v_found     boolean;
    v_version   bigint;
    v_hash      bytea;
    v_pos       bigint;
    i           integer;
BEGIN
    -- Claim the command id first: a concurrent duplicate waits here until the first commits,
    -- then finds its row and returns the first result.
    INSERT INTO commands (tenant_id, command_id) VALUES (p_tenant, p_command)
        ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        SELECT c.result INTO v_result FROM commands c
            WHERE c.tenant_id = p_tenant AND c.command_id = p_command;
        RETURN v_result || jsonb_build_object('duplicate', true);
    END IF;

    -- Lock every stream in one global order (by stream id) so multi-stream appends cannot deadlock.
    SELECT array_agg(o ORDER BY p_streams[o]) INTO v_order FROM generate_subscripts(p_streams, 1) AS o;
    FOREACH v_idx IN ARRAY v_order LOOP
        v_stream := p_streams[v_idx];
        SELECT s.version, s.last_hash INTO v_version, v_hash FROM streams s
            WHERE s.tenant_id = p_tenant AND s.stream_id = v_stream FOR UPDATE;
        v_found := FOUND;
        IF NOT v_found THEN
            INSERT INTO streams (tenant_id, stream_id, category, version)
                VALUES (p_tenant, v_stream, split_part(v_stream, '-', 1), 0)
                ON CONFLICT DO NOTHING;
            IF NOT FOUND THEN
                -- Created by a writer that committed meanwhile: lock and read what it wrote.
                SELECT s.version, s.last_hash INTO v_version, v_hash FROM streams s
                    WHERE s.tenant_id = p_tenant AND s.stream_id = v_stream FOR UPDATE;
            ELSE
                v_version := 0;
                v_hash := NULL;
            END IF;
        END IF;
        IF (p_expected[v_idx] = 0 AND v_version <> 0)
           OR (p_expected[v_idx] > 0 AND v_version <> p_expected[v_idx]) THEN
            RAISE EXCEPTION USING ERRCODE = 'BR409',
                MESSAGE = 'wrong expected version',
                DETAIL = v_stream || '|' || v_version::text;
        END IF;
        v_versions[v_idx] := v_version;
        v_hashes[v_idx] := v_hash;
    END LOOP;

    FOR i IN 1 .. cardinality(p_event_ids) LOOP
        v_idx := p_stream_idx[i];
        v_versions[v_idx] := v_versions[v_idx] + 1;
        v_hash := brigade_event_hash(v_hashes[v_idx], p_tenant, p_streams[v_idx], v_versions[v_idx],
            p_event_ids[i], p_types[i], p_schemas[i], p_payloads[i], p_metadata[i], v_now);
        v_hashes[v_idx] := v_hash;
        INSERT INTO events (event_id, tenant_id, stream_id, version, event_type, schema_version,
                            payload, metadata, recorded_at, hash)
            VALUES (p_event_ids[i], p_tenant, p_streams[v_idx], v_versions[v_idx], p_types[i],
                    p_schemas[i], p_payloads[i], p_metadata[i], v_now, v_hash)
            RETURNING position INTO v_pos;
        v_positions := v_positions || v_pos;
    END LOOP;

    FOR v_idx IN 1 .. cardinality(p_streams) LOOP
        UPDATE streams SET version = v_versions[v_idx], last_hash = v_hashes[v_idx]
            WHERE tenant_id = p_tenant AND stream_id = p_streams[v_idx];
    END LOOP;

    SELECT jsonb_build_object(
        'duplicate', false,
        'streams', jsonb_agg(jsonb_build_object('stream_id', p_streams[o], 'version', v_versions[o]) ORDER BY o),
        'positions', to_jsonb(v_positions),
        'recorded_at', v_now)
        INTO v_result FROM generate_subscripts(p_streams, 1) AS o;
    UPDATE commands SET result = v_result WHERE tenant_id = p_tenant AND command_id = p_command;
    -- Wake tailing readers when this transaction commits (one notification per transaction).
    PERFORM pg_notify('brigade_events', '');
    RETURN v_result;
END
$$;
