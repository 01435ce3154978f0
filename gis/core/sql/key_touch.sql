-- Stamp a key's last use, at most once an hour (gis.access.keys). SKIP LOCKED: when another
-- request is stamping the same key, this one skips it rather than waiting for that request's
-- transaction to end; authenticating never waits on a lock.
UPDATE api_key SET last_used_at = now()
WHERE id = (
    SELECT id FROM api_key
    WHERE id = :id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 hour')
    FOR UPDATE SKIP LOCKED)
