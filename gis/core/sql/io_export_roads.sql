-- the walking network's edges as lines for export; for a key limited to region :region
-- (NULL: everywhere) the edges touching that region's boundary polygon (roads carry no unit)
SELECT e.name, e.kind, e.geom FROM road_edge e
WHERE CAST(:region AS text) IS NULL
   OR EXISTS (SELECT 1 FROM region r
              WHERE r.code = CAST(:region AS text) AND ST_Intersects(e.geom, r.geom))
ORDER BY e.id
