-- Walking service circles stored in service_area for one budget (:minutes at :speed m/min)
-- as the MVT layer "circles": the newest circle of each facility, left out when computed
-- before the facility last changed (as gis.network.circles reuses them). Public, as the
-- service-circles API. The && filter on the envelope transformed to 4490 uses the GiST
-- index on service_area.geom.
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS env,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4490) AS env4490
),
circles AS (
    SELECT DISTINCT ON (s.facility_id) s.facility_id, s.minutes, s.geom
    FROM service_area AS s
    JOIN facility AS f ON f.id = s.facility_id
    CROSS JOIN bounds
    WHERE s.geom && bounds.env4490
      AND s.minutes = :minutes AND s.speed_m_per_min = :speed
      AND s.computed_at >= f.updated_at
    ORDER BY s.facility_id, s.computed_at DESC, s.id DESC
),
features AS (
    SELECT ST_AsMVTGeom(ST_Transform(c.geom, 3857), bounds.env, :extent, :buffer, true) AS geom,
           f.code AS facility_code, f.name, f.type, f.level, c.minutes, f.community_code
    FROM circles AS c
    JOIN facility AS f ON f.id = c.facility_id
    CROSS JOIN bounds
)
-- no "WHERE geom IS NOT NULL": ST_AsMVT skips rows whose geometry is NULL, and the filter
-- would be pushed into the scan and clip every geometry twice
SELECT ST_AsMVT(features.*, 'circles', :extent, 'geom') FROM features
