-- Events not yet resolved (gm_event_open) inside the caller's region (:scope, a region prefix;
-- NULL everywhere) as the MVT layer "events": code, category, state, priority, overdue.
-- No reporter, address or description (personal data stays in the masked API). The && filter
-- on the envelope transformed to 4490 uses the GiST index on event.geom.
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS env,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4490) AS env4490
),
features AS (
    SELECT ST_AsMVTGeom(ST_Transform(e.geom, 3857), bounds.env, :extent, :buffer, true) AS geom,
           e.code, e.category, e.status, e.channel, e.priority, e.community_code,
           (e.due_at < now()) AS overdue
    FROM event AS e
    CROSS JOIN bounds
    WHERE e.geom && bounds.env4490
      AND gm_event_open(e.status)
      AND gm_in_region(coalesce(e.community_code, e.subdistrict_code, e.region_code), :scope)
)
-- no "WHERE geom IS NOT NULL": ST_AsMVT skips rows whose geometry is NULL, and the filter
-- would be pushed into the scan and clip every geometry twice
SELECT ST_AsMVT(features.*, 'events', :extent, 'geom') FROM features
