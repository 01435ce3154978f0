-- Every building for gis/batch coverage: id, its grid (-1 for none), WKB (EPSG:4490).
SELECT b.id, coalesce(b.grid_id, -1) AS grid_id, ST_AsBinary(b.geom) AS wkb
FROM building b
ORDER BY b.id
