-- Each worker link of a retired grid is carried to the grid now in force that took most of
-- that grid's households (crosswalk share); the old link stays as history of the old grid.
WITH m AS (SELECT * FROM unnest(CAST(:pg_ids AS int[]), CAST(:grid_ids AS int[])) AS m(pg, grid_id)),
succ AS (
    SELECT DISTINCT ON (c.old_grid_id) c.old_grid_id, m.grid_id
    FROM plan_crosswalk c JOIN m ON m.pg = c.plan_grid_id
    WHERE c.plan_id = :plan AND c.old_grid_id = ANY(CAST(:retired AS int[]))
    ORDER BY c.old_grid_id, c.share DESC, m.grid_id
),
carried AS (
    INSERT INTO grid_worker_grid (worker_id, grid_id, is_primary)
    SELECT DISTINCT ON (wg.worker_id, s.grid_id) wg.worker_id, s.grid_id, wg.is_primary
    FROM grid_worker_grid wg JOIN succ s ON s.old_grid_id = wg.grid_id
    ORDER BY wg.worker_id, s.grid_id, wg.is_primary DESC
    ON CONFLICT DO NOTHING
    RETURNING worker_id, grid_id
)
SELECT w.code AS worker_code, w.name AS worker_name, og.code AS from_grid, ng.code AS to_grid
FROM grid_worker_grid wg
JOIN succ s ON s.old_grid_id = wg.grid_id
JOIN grid_worker w ON w.id = wg.worker_id
JOIN grid og ON og.id = wg.grid_id
JOIN grid ng ON ng.id = s.grid_id
ORDER BY w.code, og.code
