-- One statement per keyed request (gis.access.keys.caller_from_token). The digest finds the
-- key through the unique index ix_api_key_digest; the same statement says whether the key is
-- revoked or expired, so a revoke or an expiry takes effect on the next request with no cache
-- to invalidate. It also stamps last_used_at, at most once an hour per key, skipping a row
-- another request is stamping (SKIP LOCKED): authenticating never waits on a lock, and a read
-- writes nothing in the other 59 minutes.
WITH k AS (
    SELECT id, role, region_code, digest, revoked_at, expires_at, last_used_at,
           expires_at IS NOT NULL AND expires_at <= now() AS expired
    FROM api_key
    WHERE digest = :digest
), touched AS (
    UPDATE api_key SET last_used_at = now()
    WHERE id IN (
        SELECT a.id FROM api_key a JOIN k ON k.id = a.id
        WHERE k.revoked_at IS NULL AND NOT k.expired
          AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 hour')
        FOR UPDATE OF a SKIP LOCKED)
)
SELECT id, role, region_code, digest, revoked_at, expires_at, expired FROM k
