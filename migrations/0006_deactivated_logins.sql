-- A deactivated user's access tokens stop working at once, not when they expire: the access
-- layer refuses a caller whose login is marked here (each server keeps the set, re-read each
-- second). Set by the API when it records `user.deactivated`; the backfill covers users
-- deactivated before.
ALTER TABLE auth.credentials ADD COLUMN deactivated_at timestamptz;

UPDATE auth.credentials c SET deactivated_at = e.recorded_at
  FROM events e
 WHERE e.event_type = 'user.deactivated' AND e.tenant_id = c.tenant_id AND e.stream_id = 'user-' || c.user_id::text;
