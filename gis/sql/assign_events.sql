-- Assign located events to the current unified grid, in one statement (CGCS2000 lon/lat).
-- Same rules as locate.sql: ST_Covers, lowest grid code on shared edges; an uncovered event
-- within :max_outside_m metres (geodesic) of a grid goes to the nearest one; farther ones get
-- no grid. The grid's version is stored with the assignment. :ids NULL means every event.
-- Only rows whose assignment changes are written (re-runs are cheap).
WITH target AS MATERIALIZED (
    SELECT e.id, e.geom FROM event e
    WHERE e.geom IS NOT NULL
      AND (CAST(:ids AS int[]) IS NULL OR e.id = ANY(CAST(:ids AS int[])))
),
covered AS (
    -- grid outer, event points inner: each grid polygon stays put across many ST_Covers
    -- calls, so PostGIS's prepared-geometry cache makes the point tests cheap
    SELECT DISTINCT ON (t.id) t.id, gr.id AS grid_id
    FROM grid gr JOIN target t ON ST_Covers(gr.geom, t.geom)
    WHERE gr.theme = 'unified' AND gr.valid_to IS NULL
    ORDER BY t.id, gr.code
),
near AS (
    SELECT t.id, n.grid_id
    FROM target t
    CROSS JOIN LATERAL (
        SELECT k.id AS grid_id
        FROM (SELECT gr.id, gr.code, gr.geom FROM grid gr
              WHERE gr.theme = 'unified' AND gr.valid_to IS NULL
              ORDER BY gr.geom <-> t.geom LIMIT 4) k
        WHERE ST_DWithin(k.geom::geography, t.geom::geography, :max_outside_m)
        ORDER BY ST_Distance(k.geom::geography, t.geom::geography), k.code
        LIMIT 1
    ) n
    WHERE NOT EXISTS (SELECT 1 FROM covered c WHERE c.id = t.id)
),
chosen AS (
    SELECT t.id, pick.grid_id
    FROM target t
    LEFT JOIN (SELECT * FROM covered UNION ALL SELECT * FROM near) pick ON pick.id = t.id
),
workers AS (
    SELECT DISTINCT ON (gwg.grid_id) gwg.grid_id, gwg.worker_id
    FROM grid_worker_grid gwg JOIN grid_worker gw ON gw.id = gwg.worker_id
    ORDER BY gwg.grid_id, gwg.is_primary DESC, gw.role = 'full_time' DESC, gw.id
),
assignment AS (
    SELECT c.id, gr.id AS grid_id, gr.version AS grid_version,
           gr.community_code, com.parent_code AS subdistrict_code, w.worker_id
    FROM chosen c
    LEFT JOIN grid gr ON gr.id = c.grid_id
    LEFT JOIN region com ON com.code = gr.community_code
    LEFT JOIN workers w ON w.grid_id = gr.id
)
UPDATE event e
SET grid_id = a.grid_id, grid_version = a.grid_version, community_code = a.community_code,
    subdistrict_code = a.subdistrict_code, worker_id = a.worker_id
FROM assignment a
WHERE e.id = a.id
  AND (e.grid_id, e.grid_version, e.community_code, e.subdistrict_code, e.worker_id)
      IS DISTINCT FROM (a.grid_id, a.grid_version, a.community_code, a.subdistrict_code,
                        a.worker_id)
