-- Rebuild a plan's crosswalk from its building assignment: for each old unified grid
-- (building.grid_id) and each current grid of the plan's thematic layers (:themes, by
-- point-on-surface, lowest code when several), the proposed grids taking its households
-- and the share each takes (by buildings when the old grid has no households).
WITH src AS (
    SELECT b.grid_id AS old, pb.plan_grid_id AS pg, b.households
    FROM plan_building pb JOIN building b ON b.id = pb.building_id
    WHERE pb.plan_id = :plan AND b.grid_id IS NOT NULL
    UNION ALL
    SELECT t.old, t.pg, t.households FROM (
        SELECT DISTINCT ON (b.id, g.theme) g.id AS old, pb.plan_grid_id AS pg, b.households
        FROM plan_building pb JOIN building b ON b.id = pb.building_id
        JOIN grid g ON g.valid_to IS NULL AND g.theme = ANY(CAST(:themes AS text[]))
            AND g.geom && b.geom AND ST_Intersects(g.geom, ST_PointOnSurface(b.geom))
        WHERE pb.plan_id = :plan
        ORDER BY b.id, g.theme, g.code
    ) t
),
agg AS (SELECT old, pg, sum(households) AS h, count(*) AS n FROM src GROUP BY old, pg)
INSERT INTO plan_crosswalk (plan_id, old_grid_id, plan_grid_id, households, share)
SELECT :plan, old, pg, h,
       CASE WHEN sum(h) OVER (PARTITION BY old) > 0
            THEN h::float8 / sum(h) OVER (PARTITION BY old)
            ELSE n::float8 / sum(n) OVER (PARTITION BY old) END
FROM agg
