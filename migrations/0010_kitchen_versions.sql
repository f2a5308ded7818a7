-- How many of each organization's order events the kitchen queue has applied: the version of its
-- kitchen screens. A read asks for it and, while it has not moved, draws the screen from the
-- tickets the server already holds instead of reading and decoding every open ticket again
-- (projections: reports/kitchen_cache.rs). Written in the same transaction as the tickets.
--
-- A count, not a position: an event parked and applied later moves it, and a rebuild (the same
-- events in other batches) ends with the same rows, as every read model's tables must.
CREATE TABLE kitchen_queue.tenants (
    tenant_id uuid   PRIMARY KEY,
    events    bigint NOT NULL
);

-- Every event the queue applied to a ticket is counted in that ticket's document.
INSERT INTO kitchen_queue.tenants (tenant_id, events)
    SELECT tenant_id, sum((doc->>'events')::bigint) FROM kitchen_queue.tickets GROUP BY tenant_id;
