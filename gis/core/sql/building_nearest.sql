-- The building nearest to a point (EPSG:4490 lon/lat) within :max_m geodesic metres, among
-- the buildings inside the caller's region (:scope, a jurisdiction prefix; NULL: everywhere).
-- KNN on the GiST index (degrees) picks a few; the geodesic distance decides among them.
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) AS g)
SELECT k.code AS building_code, k.address, k.compound, k.community_code,
       ST_Distance(k.geom::geography, p.g::geography) AS distance_m
FROM (
    SELECT b.code, b.address, b.compound, b.community_code, b.geom
    FROM building b, p
    WHERE gm_in_region(b.community_code, :scope)
    ORDER BY b.geom <-> p.g
    LIMIT 8
) k, p
WHERE ST_DWithin(k.geom::geography, p.g::geography, :max_m)
ORDER BY distance_m, k.code
LIMIT 1
