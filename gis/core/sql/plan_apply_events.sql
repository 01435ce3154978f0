-- Open events of the grids a plan retires go to the new grid covering them (lowest code), or,
-- without a location inside one, to the successor of their old grid (largest crosswalk share).
-- :pg_ids/:grid_ids map the plan's grids to the grids now in force.
WITH m AS (SELECT * FROM unnest(CAST(:pg_ids AS int[]), CAST(:grid_ids AS int[])) AS m(pg, grid_id)),
succ AS (
    SELECT DISTINCT ON (c.old_grid_id) c.old_grid_id, m.grid_id
    FROM plan_crosswalk c JOIN m ON m.pg = c.plan_grid_id
    JOIN grid g ON g.id = c.old_grid_id AND g.theme = 'unified'
    WHERE c.plan_id = :plan
    ORDER BY c.old_grid_id, c.share DESC, m.grid_id
),
pick AS (
    SELECT e.id, s.old_grid_id, COALESCE(hit.id, s.grid_id) AS grid_id
    FROM event e JOIN succ s ON s.old_grid_id = e.grid_id
    LEFT JOIN LATERAL (
        SELECT g.id FROM grid g JOIN m ON m.grid_id = g.id
        WHERE e.geom IS NOT NULL AND g.geom && e.geom AND ST_Covers(g.geom, e.geom)
        ORDER BY g.code LIMIT 1
    ) hit ON true
    WHERE e.grid_id = ANY(CAST(:retired AS int[]))
      AND gm_event_open(e.status)
)
UPDATE event e SET grid_id = p.grid_id, grid_version = g.version
FROM pick p JOIN grid g ON g.id = p.grid_id
WHERE e.id = p.id
RETURNING e.id AS event_id, e.code AS event_code, p.old_grid_id, e.grid_id AS new_grid_id
