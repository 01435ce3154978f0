-- The unified grids a building was in, period by period. Current period: the grid assignment
-- gave it (building.grid_id). Past periods: among grids that have ended, the one holding most
-- of the building's area among those that started at the same moment (grids of one plan or
-- one import share valid_from). Planar degree areas suffice: both sides of each comparison
-- are parts of the same building. :at (optional) keeps the period in force at that time.
-- :scope is the caller's region prefix (jurisdiction.scope_prefix; NULL everywhere): a
-- building outside it has no history to show.
WITH b AS (SELECT id, code, grid_id, geom FROM building
           WHERE code = :code AND gm_in_region(community_code, :scope)),
past AS (
    SELECT g.id, g.code, g.name, g.valid_from, g.valid_to,
           ST_Area(ST_Intersection(g.geom, b.geom)) / NULLIF(ST_Area(b.geom), 0) AS share,
           rank() OVER (PARTITION BY g.valid_from
                        ORDER BY ST_Area(ST_Intersection(g.geom, b.geom)) DESC, g.code) AS r
    FROM b JOIN grid g ON g.theme = 'unified' AND g.valid_to IS NOT NULL
        AND g.geom && b.geom AND ST_Intersects(g.geom, b.geom)
),
periods AS (
    SELECT id, code, name, valid_from, valid_to, share FROM past WHERE r = 1
    UNION ALL
    SELECT g.id, g.code, g.name, g.valid_from, g.valid_to,
           ST_Area(ST_Intersection(g.geom, b.geom)) / NULLIF(ST_Area(b.geom), 0)
    FROM b JOIN grid g ON g.id = b.grid_id AND g.valid_to IS NULL
)
SELECT id AS grid_id, code AS grid_code, name AS grid_name, valid_from, valid_to,
       round(share::numeric, 4)::float8 AS area_share
FROM periods
WHERE CAST(:at AS timestamptz) IS NULL
   OR (valid_from <= CAST(:at AS timestamptz)
       AND (valid_to IS NULL OR CAST(:at AS timestamptz) < valid_to))
ORDER BY valid_from, code
