-- One event to one stream: the common append (an order placed, a ticket started, a payment) by a
-- function of its own, with brigade_append's guarantees and its answer, and none of the general
-- case's array handling (its arguments, indices and outputs cost a quarter of the append's
-- database time at 32 clients: BENCHMARKS.md, "Where brigade_append's time goes").
--
-- A new stream (p_expected = 0) skips the head read: its first event is version 1, and the
-- stream's version key refuses a second version 1, so a stream that exists (or is being created
-- by a racing writer) fails on events_stream_version_key, which the writer answers as the
-- expectation that failed, with the stream's actual version (eventstore::append). The stream's
-- lock is still taken, so a writer that expects any version waits for this one and appends after
-- it rather than computing version 1 too. Versions start at 1 and events are never deleted, so a
-- stream with events always has a version 1.
CREATE FUNCTION brigade_append_one(
    p_tenant uuid, p_command uuid, p_stream text, p_expected bigint,
    p_event_id uuid, p_type text, p_schema integer, p_payload json, p_metadata json, p_digest bytea,
    OUT o_duplicate boolean, OUT o_streams text[], OUT o_versions bigint[],
    OUT o_positions bigint[], OUT o_recorded_at timestamptz
) LANGUAGE plpgsql AS $$
DECLARE
    v_version  bigint := 0;
    v_hash     bytea;
    v_position bigint;
BEGIN
    SELECT true, c.streams, c.versions, c.positions, c.recorded_at
        INTO o_duplicate, o_streams, o_versions, o_positions, o_recorded_at
        FROM commands c WHERE c.tenant_id = p_tenant AND c.command_id = p_command;
    IF FOUND THEN
        RETURN;
    END IF;
    IF p_schema < 1 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'schema versions start at 1';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(p_tenant::text || p_stream, 0));
    o_recorded_at := clock_timestamp();
    IF p_expected <> 0 THEN
        SELECT e.version, e.hash INTO v_version, v_hash FROM events e
            WHERE e.tenant_id = p_tenant AND e.stream_id = p_stream
            ORDER BY e.version DESC LIMIT 1;
        IF NOT FOUND THEN
            v_version := 0;
            v_hash := NULL;
        END IF;
        IF p_expected > 0 AND v_version <> p_expected THEN
            RAISE EXCEPTION USING ERRCODE = 'BR409', MESSAGE = 'wrong expected version',
                DETAIL = p_stream || '|' || v_version::text;
        END IF;
    END IF;
    v_version := v_version + 1;
    v_hash := sha256(coalesce(v_hash, ''::bytea) || p_digest
                     || convert_to(v_version::text || E'\n' || (extract(epoch FROM o_recorded_at) * 1000000)::bigint::text, 'UTF8'));
    INSERT INTO events (event_id, tenant_id, stream_id, version, event_type, schema_version,
                        payload, metadata, recorded_at, hash)
        VALUES (p_event_id, p_tenant, p_stream, v_version, p_type, p_schema,
                p_payload, p_metadata, o_recorded_at, v_hash)
        RETURNING events.position INTO v_position;
    o_duplicate := false;
    o_streams := ARRAY[p_stream];
    o_versions := ARRAY[v_version];
    o_positions := ARRAY[v_position];
    INSERT INTO commands (tenant_id, command_id, streams, versions, positions, recorded_at)
        VALUES (p_tenant, p_command, o_streams, o_versions, o_positions, o_recorded_at)
        ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'BR208', MESSAGE = 'command already recorded';
    END IF;
END
$$;

-- Group commit: a command of one event goes through brigade_append_one as well.
CREATE OR REPLACE FUNCTION brigade_append_batch(
    p_tenants uuid[], p_commands uuid[], p_stream_end integer[], p_event_end integer[],
    p_streams text[], p_expected bigint[],
    p_stream_idx integer[], p_event_ids uuid[], p_types text[], p_schemas integer[],
    p_payloads json[], p_metadata json[], p_digests bytea[]
) RETURNS TABLE (
    o_error text, o_detail text, o_constraint text,
    o_duplicate boolean, o_streams text[], o_versions bigint[], o_positions bigint[], o_recorded_at timestamptz
) LANGUAGE plpgsql AS $$
DECLARE
    v_keys bigint[] := '{}';
    v_key  bigint;
    s0 integer := 1;
    e0 integer := 1;
    s1 integer;
    e1 integer;
    c  integer;
    s  integer;
BEGIN
    -- Every stream lock of the batch first, in the one global order brigade_append uses: two
    -- batches (or a batch and a lone append) then never wait on each other crosswise. The locks
    -- are re-entrant, so each command's own locking below costs nothing more.
    FOR c IN 1 .. cardinality(p_commands) LOOP
        FOR s IN s0 .. p_stream_end[c] LOOP
            v_keys := v_keys || hashtextextended(p_tenants[c]::text || p_streams[s], 0);
        END LOOP;
        s0 := p_stream_end[c] + 1;
    END LOOP;
    FOR v_key IN SELECT DISTINCT k FROM unnest(v_keys) AS k ORDER BY k LOOP
        PERFORM pg_advisory_xact_lock(v_key);
    END LOOP;

    s0 := 1;
    FOR c IN 1 .. cardinality(p_commands) LOOP
        s1 := p_stream_end[c];
        e1 := p_event_end[c];
        -- A block with an exception handler is a subtransaction: a failing command undoes only
        -- its own writes. Batches stay well under 64 commands, the subtransactions a backend
        -- tracks in shared memory before every snapshot in the cluster gets slower.
        BEGIN
            IF s1 = s0 AND e1 = e0 THEN
                SELECT NULL, NULL, NULL, a.o_duplicate, a.o_streams, a.o_versions, a.o_positions, a.o_recorded_at
                  INTO o_error, o_detail, o_constraint, o_duplicate, o_streams, o_versions, o_positions, o_recorded_at
                  FROM brigade_append_one(p_tenants[c], p_commands[c], p_streams[s0], p_expected[s0],
                                          p_event_ids[e0], p_types[e0], p_schemas[e0],
                                          p_payloads[e0], p_metadata[e0], p_digests[e0]) AS a;
            ELSE
                SELECT NULL, NULL, NULL, a.o_duplicate, a.o_streams, a.o_versions, a.o_positions, a.o_recorded_at
                  INTO o_error, o_detail, o_constraint, o_duplicate, o_streams, o_versions, o_positions, o_recorded_at
                  FROM brigade_append(p_tenants[c], p_commands[c], p_streams[s0:s1], p_expected[s0:s1],
                                      p_stream_idx[e0:e1], p_event_ids[e0:e1], p_types[e0:e1], p_schemas[e0:e1],
                                      p_payloads[e0:e1], p_metadata[e0:e1], p_digests[e0:e1]) AS a;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS o_error = RETURNED_SQLSTATE, o_detail = PG_EXCEPTION_DETAIL,
                                    o_constraint = CONSTRAINT_NAME;
            o_duplicate := NULL;
            o_streams := NULL;
            o_versions := NULL;
            o_positions := NULL;
            o_recorded_at := NULL;
        END;
        RETURN NEXT;
        s0 := s1 + 1;
        e0 := e1 + 1;
    END LOOP;
END
$$;
