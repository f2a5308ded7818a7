-- Idempotency-Key: the first response to a command request, replayed to every repeat of it.
-- Keys are the client's, so they are scoped to the caller (organization and user). The command
-- itself is also idempotent in the event store (its command id is derived from the key): this
-- table is what lets a repeat get the very same response, and a reuse of the key with another
-- body be refused.
CREATE SCHEMA api;

CREATE TABLE api.idempotency (
    tenant_id     uuid        NOT NULL,
    user_id       uuid        NOT NULL,
    key           text        NOT NULL,
    -- sha256 of method, path and body: the same key with another request is refused (422).
    request_hash  bytea       NOT NULL,
    -- The response, once there is one.
    status        integer,
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id, key)
);
