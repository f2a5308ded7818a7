-- Brigade's event store: the only source of truth. Everything else is rebuilt from these tables.

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
    version         bigint      NOT NULL,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL,
    -- json, not jsonb: the exact text written is kept, so its hash can be recomputed byte for
    -- byte, and it is cheaper to accept. Nothing queries inside payloads; readers decode them.
    payload         json        NOT NULL,
    metadata        json        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    -- sha256(previous hash in the stream || content digest || version || recorded_at), where the
    -- content digest covers tenant, stream, event id, type, schema version, payload and metadata.
    hash            bytea       NOT NULL,
    -- A stream's events in order: reading forward, finding its head (the last event, read
    -- backwards), and a last line of defence against two events at one version.
    CONSTRAINT events_stream_version_key UNIQUE (tenant_id, stream_id, version)
    -- No CHECK constraints: PostgreSQL re-reads and compiles them on every insert, which cost a
    -- fifth of the append's CPU (BENCHMARKS.md). brigade_append, the only writer, computes the
    -- versions and refuses schema versions below 1; the writer (eventstore::append) refuses
    -- malformed stream ids before calling it.
);

-- The global log is read in (transaction_id, position) order from a checkpoint.
CREATE INDEX events_global_order ON events (transaction_id, position);

-- Idempotency: one row per command id per tenant, holding the outcome of its append. A repeat of
-- the command returns this outcome and writes nothing. Each row also names the version every
-- stream reached, which lets the integrity check notice a deleted last event of a stream.
CREATE TABLE commands (
    tenant_id   uuid        NOT NULL,
    command_id  uuid        NOT NULL,
    streams     text[]      NOT NULL,
    versions    bigint[]    NOT NULL,
    positions   bigint[]    NOT NULL,
    recorded_at timestamptz NOT NULL,
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
    PRIMARY KEY (tenant_id, stream_id)
);

-- Appends events to one or more streams of one tenant, atomically, in one round trip.
--   p_streams/p_expected: the streams touched and what each expects:
--       -1 = any, 0 = the stream must not exist, n > 0 = the stream must be at exactly version n.
--   p_stream_idx: for each event, the index (1-based) of its stream in p_streams.
--   p_digests: for each event, sha256 of its content, computed by the writer (see hash_chain.rs).
-- Writers of one stream are serialised by an advisory lock (see below), not by a row per stream.
-- A failed expectation raises SQLSTATE 'BR409' with the detail "<stream_id>|<actual version>";
-- a command recorded meanwhile by a concurrent duplicate raises 'BR208'. Either rolls back all.
CREATE FUNCTION brigade_append(
    p_tenant uuid, p_command uuid, p_streams text[], p_expected bigint[],
    p_stream_idx integer[], p_event_ids uuid[], p_types text[], p_schemas integer[],
    p_payloads json[], p_metadata json[], p_digests bytea[],
    OUT o_duplicate boolean, OUT o_streams text[], OUT o_versions bigint[],
    OUT o_positions bigint[], OUT o_recorded_at timestamptz
) LANGUAGE plpgsql AS $$
DECLARE
    v_n         integer := cardinality(p_streams);
    v_hashes    bytea[]  := array_fill(NULL::bytea, ARRAY[v_n]);
    v_ev_vers   bigint[] := array_fill(0::bigint, ARRAY[cardinality(p_event_ids)]);
    v_ev_hashes bytea[]  := array_fill(NULL::bytea, ARRAY[cardinality(p_event_ids)]);
    v_keys      bigint[];
    v_key       bigint;
    v_idx       integer;
    v_version   bigint;
    v_hash      bytea;
    v_micros    text;
    i           integer;
BEGIN
    -- A command already recorded: answer with its outcome, write nothing.
    SELECT true, c.streams, c.versions, c.positions, c.recorded_at
        INTO o_duplicate, o_streams, o_versions, o_positions, o_recorded_at
        FROM commands c WHERE c.tenant_id = p_tenant AND c.command_id = p_command;
    IF FOUND THEN
        RETURN;
    END IF;
    o_duplicate := false;
    o_streams := p_streams;
    o_versions := array_fill(0::bigint, ARRAY[v_n]);

    -- Writers of one stream queue on a transaction-scoped advisory lock: held in memory until
    -- commit, it costs no WAL, unlike locking and updating a row per stream. Locks are taken in
    -- one global order (by key), so multi-stream appends cannot deadlock. Two streams sharing a
    -- key only queue behind each other.
    IF v_n = 1 THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(p_tenant::text || p_streams[1], 0));
    ELSE
        SELECT array_agg(DISTINCT hashtextextended(p_tenant::text || p_streams[o], 0)
                         ORDER BY hashtextextended(p_tenant::text || p_streams[o], 0))
            INTO v_keys FROM generate_subscripts(p_streams, 1) AS o;
        FOREACH v_key IN ARRAY v_keys LOOP
            PERFORM pg_advisory_xact_lock(v_key);
        END LOOP;
    END IF;
    -- Time is read after the locks: within a stream, later events never carry an earlier time.
    o_recorded_at := clock_timestamp();

    -- Each stream's head is its last event. Read after the lock, so it includes every commit
    -- of a writer this one queued behind.
    FOR v_idx IN 1 .. v_n LOOP
        SELECT e.version, e.hash INTO v_version, v_hash FROM events e
            WHERE e.tenant_id = p_tenant AND e.stream_id = p_streams[v_idx]
            ORDER BY e.version DESC LIMIT 1;
        IF NOT FOUND THEN
            v_version := 0;
            v_hash := NULL;
        END IF;
        IF (p_expected[v_idx] = 0 AND v_version <> 0)
           OR (p_expected[v_idx] > 0 AND v_version <> p_expected[v_idx]) THEN
            RAISE EXCEPTION USING ERRCODE = 'BR409',
                MESSAGE = 'wrong expected version',
                DETAIL = p_streams[v_idx] || '|' || v_version::text;
        END IF;
        o_versions[v_idx] := v_version;
        v_hashes[v_idx] := v_hash;
    END LOOP;

    -- Chain each event to its stream's previous one.
    v_micros := (extract(epoch FROM o_recorded_at) * 1000000)::bigint::text;
    FOR i IN 1 .. cardinality(p_event_ids) LOOP
        IF p_schemas[i] < 1 THEN
            RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'schema versions start at 1';
        END IF;
        v_idx := p_stream_idx[i];
        o_versions[v_idx] := o_versions[v_idx] + 1;
        v_hash := sha256(coalesce(v_hashes[v_idx], ''::bytea) || p_digests[i]
                         || convert_to(o_versions[v_idx]::text || E'\n' || v_micros, 'UTF8'));
        v_hashes[v_idx] := v_hash;
        v_ev_vers[i] := o_versions[v_idx];
        v_ev_hashes[i] := v_hash;
    END LOOP;

    IF cardinality(p_event_ids) = 1 THEN
        -- The common case, one event: a plain insert is cheaper than the set-based one below.
        INSERT INTO events (event_id, tenant_id, stream_id, version, event_type, schema_version,
                            payload, metadata, recorded_at, hash)
            VALUES (p_event_ids[1], p_tenant, p_streams[p_stream_idx[1]], v_ev_vers[1], p_types[1], p_schemas[1],
                    p_payloads[1], p_metadata[1], o_recorded_at, v_ev_hashes[1])
            RETURNING events.position INTO v_version;
        o_positions := ARRAY[v_version];
    ELSE
        -- One statement for all events, inserted in the order given (positions follow versions).
        WITH inserted AS (
            INSERT INTO events (event_id, tenant_id, stream_id, version, event_type, schema_version,
                                payload, metadata, recorded_at, hash)
            SELECT u.id, p_tenant, p_streams[u.idx], u.ver, u.typ, u.sch, u.pay, u.meta, o_recorded_at, u.h
            FROM unnest(p_event_ids, p_stream_idx, v_ev_vers, p_types, p_schemas, p_payloads, p_metadata, v_ev_hashes)
                 WITH ORDINALITY AS u(id, idx, ver, typ, sch, pay, meta, h, ord)
            ORDER BY u.ord
            RETURNING events.position, events.event_id
        )
        SELECT array_agg(inserted.position ORDER BY u.ord) INTO o_positions
            FROM inserted JOIN unnest(p_event_ids) WITH ORDINALITY AS u(id, ord) ON u.id = inserted.event_id;
    END IF;

    INSERT INTO commands (tenant_id, command_id, streams, versions, positions, recorded_at)
        VALUES (p_tenant, p_command, o_streams, o_versions, o_positions, o_recorded_at)
        ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'BR208', MESSAGE = 'command already recorded';
    END IF;
    -- No NOTIFY here: it takes a cluster-wide lock held through the commit's WAL flush, which
    -- serialises every writer. The store wakes readers after commit instead (eventstore::wake).
END
$$;

-- Stored events are never rewritten: schema changes are read through upcasters instead.
CREATE FUNCTION brigade_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable: % refused', TG_OP USING ERRCODE = 'BR403';
END
$$;
CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION brigade_events_immutable();
