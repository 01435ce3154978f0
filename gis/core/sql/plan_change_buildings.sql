-- Buildings plan :plan moves to another grid (gis.plans.changes: the one change set of the
-- preview and of apply): every building the plan places whose proposed grid is new or is a
-- kept grid other than its own, and every building still on a grid the plan retires that the
-- plan does not place (added after the plan was drawn), which goes to the proposed grid
-- holding its point-on-surface (lowest seq). :retired are the grid ids the plan ends.
WITH placed AS (
    SELECT pb.building_id, pb.plan_grid_id FROM plan_building pb WHERE pb.plan_id = :plan
    UNION ALL
    SELECT b.id, hit.id
    FROM building b
    CROSS JOIN LATERAL (
        SELECT pg.id FROM plan_grid pg
        WHERE pg.plan_id = :plan AND pg.geom && b.geom
          AND ST_Covers(pg.geom, ST_PointOnSurface(b.geom))
        ORDER BY pg.seq LIMIT 1
    ) hit
    WHERE b.grid_id = ANY(CAST(:retired AS int[]))
      AND NOT EXISTS (SELECT 1 FROM plan_building x
                      WHERE x.plan_id = :plan AND x.building_id = b.id)
)
SELECT b.id AS building_id, b.grid_id AS old_grid_id, p.plan_grid_id, pg.source_grid_id,
       b.households, b.residents
FROM placed p
JOIN building b ON b.id = p.building_id
JOIN plan_grid pg ON pg.id = p.plan_grid_id
WHERE pg.source_grid_id IS NULL OR pg.source_grid_id IS DISTINCT FROM b.grid_id
ORDER BY b.id
