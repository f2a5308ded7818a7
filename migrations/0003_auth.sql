-- Credentials and sessions: what the API needs to log people in, beside the event store. Users
-- themselves (profile, roles, status, every admin action) are event-sourced (`user-<id>` streams);
-- a password hash does not belong in an append-only log that can never forget it.
CREATE SCHEMA auth;

-- One login per user. Usernames are unique across the system (a login names no organization).
CREATE TABLE auth.credentials (
    user_id        uuid        PRIMARY KEY,
    tenant_id      uuid        NOT NULL,
    username       text        NOT NULL UNIQUE,
    -- argon2id, PHC string format (algorithm, parameters and salt included).
    password_hash  text        NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Refresh tokens, stored as sha256 of the token (a leak of this table logs nobody in). Each use
-- rotates: the token is marked used and a new one of the same family issued. A used or revoked
-- token presented again means it was stolen or replayed: the whole family is revoked.
CREATE TABLE auth.refresh_tokens (
    token_hash  bytea       PRIMARY KEY,
    family      uuid        NOT NULL,
    user_id     uuid        NOT NULL,
    tenant_id   uuid        NOT NULL,
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON auth.refresh_tokens (family);
