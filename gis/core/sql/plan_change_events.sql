-- Not-closed events (gm_event_not_closed, migration 0011: resolved and verified ones still
-- wait for 核查/结案) of the grids plan :plan retires (:retired): each goes to the proposed grid
-- holding its point (lowest seq), or, without a point inside one, to the proposed grid taking
-- most of its old grid's households (crosswalk share). One change set for preview and apply.
WITH succ AS (
    SELECT DISTINCT ON (c.old_grid_id) c.old_grid_id, c.plan_grid_id
    FROM plan_crosswalk c JOIN plan_grid pg ON pg.id = c.plan_grid_id
    WHERE c.plan_id = :plan AND c.old_grid_id = ANY(CAST(:retired AS int[]))
    ORDER BY c.old_grid_id, c.share DESC, pg.seq
)
SELECT e.id AS event_id, e.code AS event_code, e.status, e.grid_id AS old_grid_id,
       COALESCE(hit.id, s.plan_grid_id) AS plan_grid_id
FROM event e
LEFT JOIN succ s ON s.old_grid_id = e.grid_id
LEFT JOIN LATERAL (
    SELECT pg.id FROM plan_grid pg
    WHERE pg.plan_id = :plan AND e.geom IS NOT NULL AND pg.geom && e.geom
      AND ST_Covers(pg.geom, e.geom)
    ORDER BY pg.seq LIMIT 1
) hit ON true
WHERE e.grid_id = ANY(CAST(:retired AS int[])) AND gm_event_not_closed(e.status)
  AND COALESCE(hit.id, s.plan_grid_id) IS NOT NULL
ORDER BY e.id
