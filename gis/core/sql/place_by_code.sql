-- A grid (current unified, by code or name) or a building (by code, inside the caller's
-- region :scope; NULL: everywhere) named by a search text :q, as a point inside it (EPSG:4490
-- lon/lat). An exact grid name or code comes before a grid whose name only contains :q.
SELECT kind, code, label, lon, lat
FROM (
    SELECT 'grid' AS kind, g.code, g.name AS label,
           ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat,
           CASE WHEN g.code = :q OR g.name = :q THEN 0 ELSE 1 END AS rank
    FROM grid g
    WHERE g.theme = 'unified' AND g.valid_to IS NULL
      AND (g.code = :q OR g.name = :q
           OR (char_length(:q) >= 2 AND strpos(g.name, :q) > 0))
    UNION ALL
    SELECT 'building', b.code, b.address,
           ST_X(ST_PointOnSurface(b.geom)), ST_Y(ST_PointOnSurface(b.geom)), 0
    FROM building b
    WHERE b.code = :q AND gm_in_region(b.community_code, :scope)
) found
ORDER BY rank, kind, code
LIMIT 1
