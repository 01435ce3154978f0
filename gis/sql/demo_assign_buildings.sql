-- Each demo building (community in :codes) to the current unified grid holding most of its
-- area, in one statement; the GiST index on grid.geom finds the candidates.
UPDATE building b
SET grid_id = best.grid_id
FROM (
    SELECT DISTINCT ON (bb.id) bb.id AS building_id, g.id AS grid_id
    FROM building bb
    JOIN grid g
      ON g.theme = 'unified' AND g.valid_to IS NULL AND ST_Intersects(g.geom, bb.geom)
    WHERE bb.community_code = ANY(:codes)
    ORDER BY bb.id, ST_Area(ST_Intersection(g.geom, bb.geom)) DESC, g.id
) best
WHERE b.id = best.building_id
