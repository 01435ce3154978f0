-- The one query per keyed request (gis.access.keys.caller_from_token; keyed tiles prepare it
-- on a connection of their own and hold a valid key until NOTIFY gridmap_keys says a key
-- changed: gis.access.keycheck). The digest finds the key through the unique index
-- ix_api_key_digest; the same query says whether the key is revoked or expired, so a revoke
-- or an expiry takes effect on the next request. ``stale`` asks for the hourly last-use stamp (key_touch.sql); writing it in
-- this statement as a data-modifying CTE made every check three times slower.
SELECT id, role, region_code, digest, revoked_at, expires_at,
       expires_at IS NOT NULL AND expires_at <= now() AS expired,
       last_used_at IS NULL OR last_used_at < now() - interval '1 hour' AS stale
FROM api_key
WHERE digest = :digest
