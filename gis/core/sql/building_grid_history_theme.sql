-- The grids of thematic layer :theme a building was in, period by period: a thematic grid has
-- no assignment column, so it holds the buildings whose point-on-surface lies inside it
-- (as gm_grid_buildings, migration 0007). Ended grids (valid_to, e.g. merged by 多格合一) keep
-- their geometry, so every period answers. :at (optional) keeps the period in force then;
-- :scope as in building_grid_history.sql.
WITH b AS (SELECT id, geom, ST_PointOnSurface(geom) AS pt FROM building
           WHERE code = :code AND gm_in_region(community_code, :scope))
SELECT g.id AS grid_id, g.code AS grid_code, g.name AS grid_name, g.valid_from, g.valid_to,
       round((ST_Area(ST_Intersection(g.geom, b.geom)) / NULLIF(ST_Area(b.geom), 0))::numeric,
             4)::float8 AS area_share
FROM b JOIN grid g ON g.theme = :theme AND g.geom && b.pt AND ST_Intersects(g.geom, b.pt)
WHERE CAST(:at AS timestamptz) IS NULL
   OR (g.valid_from <= CAST(:at AS timestamptz)
       AND (g.valid_to IS NULL OR CAST(:at AS timestamptz) < g.valid_to))
ORDER BY g.valid_from, g.code
