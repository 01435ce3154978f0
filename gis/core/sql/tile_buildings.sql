-- Buildings as the MVT layer "buildings" for Web Mercator tile z/x/y: every footprint, with
-- its attributes only inside the caller's jurisdiction (:scope, jurisdiction.scope_prefix of
-- the caller's region; NULL = everywhere) and never for :details false (anonymous callers).
-- Missing attributes are NULL, which ST_AsMVT omits: bare footprints, as the embedded map
-- shows them. One statement for all callers, so they cannot drift.
-- An address holding a run of 7 or more digits (a phone or an ID number typed into it; no
-- house number is that long) is left out: tiles are not masked by gis.access.privacy.
-- The && filter on the envelope transformed to 4490 uses the GiST index on building.geom.
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS env,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4490) AS env4490
),
features AS (
    SELECT ST_AsMVTGeom(ST_Transform(b.geom, 3857), bounds.env, :extent, :buffer, true) AS geom,
           details.*
    FROM building AS b
    CROSS JOIN bounds
    LEFT JOIN LATERAL (
        SELECT b.code,
               CASE WHEN b.address ~ '\d([ -]?\d){6,}' THEN NULL ELSE b.address END AS address,
               b.compound, b.floors, b.households, b.residents, b.use,
               b.community_code, g.code AS grid_code
        FROM (SELECT 1) AS one
        LEFT JOIN grid AS g ON g.id = b.grid_id
    ) AS details ON CAST(:details AS boolean)
                    AND gm_in_region(b.community_code, :scope)
    WHERE b.geom && bounds.env4490
)
-- no "WHERE geom IS NOT NULL": ST_AsMVT skips rows whose geometry is NULL, and the filter
-- would be pushed into the scan and clip every geometry twice
SELECT ST_AsMVT(features.*, 'buildings', :extent, 'geom') FROM features
