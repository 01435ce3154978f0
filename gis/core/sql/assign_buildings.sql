-- Each building to the current unified grid holding most of its area (ties: lowest code);
-- buildings touching no current grid lose their grid. One statement; residents and
-- households follow through building_id. Areas compare overlaps of the same building, so
-- planar degrees suffice (the lon/lat scale factor is the same on both sides of the
-- comparison); a building inside one grid skips ST_Intersection altogether.
UPDATE building b
SET grid_id = pick.grid_id
FROM building src
LEFT JOIN LATERAL (
    SELECT gr.id AS grid_id
    FROM grid gr
    WHERE gr.theme = 'unified' AND gr.valid_to IS NULL AND ST_Intersects(gr.geom, src.geom)
    ORDER BY CASE WHEN ST_Covers(gr.geom, src.geom) THEN ST_Area(src.geom)
                  ELSE ST_Area(ST_Intersection(gr.geom, src.geom)) END DESC,
             gr.code
    LIMIT 1
) pick ON true
WHERE b.id = src.id
  AND (CAST(:community AS text) IS NULL OR src.community_code = CAST(:community AS text))
  AND b.grid_id IS DISTINCT FROM pick.grid_id
