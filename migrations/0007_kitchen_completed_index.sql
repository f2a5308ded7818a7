-- The kitchen screen shows the tickets bumped in the last hour: without this index that read
-- scanned every ticket the organization ever had (a year of service is hundreds of thousands).
CREATE INDEX tickets_completed ON kitchen_queue.tickets (tenant_id, completed_at) WHERE completed_at IS NOT NULL;
