-- Partitioned read models (ARCHITECTURE.md, "Partitions"): each projection's work is shared by
-- organization between any number of worker processes.

-- An organization's partition among p_count (a power of two up to 256): the first byte of the
-- SHA-256 of its id, masked. eventstore::Partition::of computes the same in Rust.
CREATE FUNCTION brigade_partition(p_tenant uuid, p_count integer) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN get_byte(sha256(uuid_send(p_tenant)), 0) & (p_count - 1);

-- How many partitions each projection runs in. A worker configured with more splits every
-- partition in two (its checkpoint, parked events and all) until the counts agree; one
-- configured with fewer refuses to start. No row: one partition, as before partitions existed.
CREATE TABLE projection_partitions (
    projection text    PRIMARY KEY,
    parts      integer NOT NULL CHECK (parts BETWEEN 1 AND 256 AND parts & (parts - 1) = 0)
);

-- The worker processes running projections, each seen within the last few seconds while alive.
-- They share each projection's partitions evenly between the live ones.
CREATE TABLE projection_workers (
    worker_id   text        PRIMARY KEY,
    projections text[]      NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    seen_at     timestamptz NOT NULL DEFAULT now()
);

-- Who holds each partition's lease (the advisory lock is what holds it; this row says who, for
-- balancing and for operators). Written by the holder through the lease's own connection.
CREATE TABLE projection_owners (
    name      text        PRIMARY KEY,
    worker_id text        NOT NULL,
    since     timestamptz NOT NULL DEFAULT now()
);
