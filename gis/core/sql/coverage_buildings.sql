-- Every building (of region :scope; every one when NULL) with its point on surface
-- (lon/lat, EPSG:4490) for snapping, its counts, and the grid, community and subdistrict it
-- is reported under.
SELECT b.id, b.code, b.address, b.compound, b.households, b.residents,
       g.code AS grid_code, g.name AS grid_name,
       b.community_code, c.name AS community_name,
       c.parent_code AS subdistrict_code, s.name AS subdistrict_name,
       ST_X(pt.p) AS lon, ST_Y(pt.p) AS lat, b.geom
FROM building b
CROSS JOIN LATERAL (SELECT ST_PointOnSurface(b.geom) AS p) pt
LEFT JOIN grid g ON g.id = b.grid_id
LEFT JOIN region c ON c.code = b.community_code
LEFT JOIN region s ON s.code = c.parent_code
WHERE gm_in_region(b.community_code, CAST(:scope AS text))
ORDER BY b.id
