-- Group commit: the appends of several commands in one transaction, each exactly as
-- brigade_append makes it alone, so that concurrent commands share one round trip and one WAL
-- flush (eventstore::group_commit). A command that fails (a failed expectation, a racing
-- duplicate, a taken event id) is rolled back alone and its error returned in its row; the others
-- are kept. The transaction commits once, before any of them is answered.
--
-- The commands' arrays are laid end to end: p_stream_end[c] and p_event_end[c] are the last
-- stream and the last event of command c (1-based, cumulative), and p_stream_idx counts each
-- command's streams from 1, as brigade_append's does.
--
-- One row per command, in order: o_error is NULL on success, else the SQLSTATE, with the
-- message's detail and the violated constraint as brigade_append would have raised them.
CREATE FUNCTION brigade_append_batch(
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
            SELECT NULL, NULL, NULL, a.o_duplicate, a.o_streams, a.o_versions, a.o_positions, a.o_recorded_at
              INTO o_error, o_detail, o_constraint, o_duplicate, o_streams, o_versions, o_positions, o_recorded_at
              FROM brigade_append(p_tenants[c], p_commands[c], p_streams[s0:s1], p_expected[s0:s1],
                                  p_stream_idx[e0:e1], p_event_ids[e0:e1], p_types[e0:e1], p_schemas[e0:e1],
                                  p_payloads[e0:e1], p_metadata[e0:e1], p_digests[e0:e1]) AS a;
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
