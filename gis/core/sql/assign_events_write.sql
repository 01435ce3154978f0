-- Write picked grids (temporary table assign_pick: event id, grid id or -1 for none) with
-- what goes with a grid: its version, community, subdistrict and primary worker (the
-- choice of gis/core/sql/assign_events_pick.sql). Works on a plain or a partitioned event
-- table (UPDATE ... FROM routes each row to its partition).
WITH workers AS (
    SELECT DISTINCT ON (gwg.grid_id) gwg.grid_id, gwg.worker_id
    FROM grid_worker_grid gwg JOIN grid_worker gw ON gw.id = gwg.worker_id
    ORDER BY gwg.grid_id, gwg.is_primary DESC, gw.role = 'full_time' DESC, gw.id
),
pick AS (
    SELECT p.id, gr.id AS grid_id, gr.version, gr.community_code,
           com.parent_code AS subdistrict_code, w.worker_id
    FROM assign_pick p
    LEFT JOIN grid gr ON gr.id = p.grid_id
    LEFT JOIN region com ON com.code = gr.community_code
    LEFT JOIN workers w ON w.grid_id = gr.id
)
UPDATE event e
SET grid_id = p.grid_id, grid_version = p.version, community_code = p.community_code,
    subdistrict_code = p.subdistrict_code, worker_id = p.worker_id
FROM pick p
WHERE e.id = p.id
