-- Facilities (points or polygons as stored) as the MVT layer "facilities" for tile z/x/y.
-- The && filter on the envelope transformed to 4490 uses the GiST index on facility.geom.
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS env,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4490) AS env4490
),
features AS (
    SELECT ST_AsMVTGeom(ST_Transform(f.geom, 3857), bounds.env, :extent, :buffer, true) AS geom,
           f.code, f.name, f.type, f.level, f.capacity, f.opening_hours, f.address, f.phone,
           f.community_code
    FROM facility AS f
    CROSS JOIN bounds
    WHERE f.geom && bounds.env4490
)
-- no "WHERE geom IS NOT NULL": ST_AsMVT skips rows whose geometry is NULL, and the filter
-- would be pushed into the scan and clip every geometry twice
SELECT ST_AsMVT(features.*, 'facilities', :extent, 'geom') FROM features
