-- Every located event for the in-memory assignment (gis/grids/assign_bulk.py), read with a
-- binary COPY: id, lon, lat (EPSG:4490), its grid id (-1 for none) and whether its other
-- assignment columns are those of that grid (``current``), so Python knows which events a
-- new pick changes without reading the text columns. No bound parameters (COPY takes none).
WITH workers AS (
    SELECT DISTINCT ON (gwg.grid_id) gwg.grid_id, gwg.worker_id
    FROM grid_worker_grid gwg JOIN grid_worker gw ON gw.id = gwg.worker_id
    ORDER BY gwg.grid_id, gwg.is_primary DESC, gw.role = 'full_time' DESC, gw.id
),
attrs AS (
    SELECT gr.id, gr.version, gr.community_code, com.parent_code, w.worker_id
    FROM grid gr
    LEFT JOIN region com ON com.code = gr.community_code
    LEFT JOIN workers w ON w.grid_id = gr.id
)
SELECT CAST(e.id AS int8), ST_X(e.geom), ST_Y(e.geom), CAST(coalesce(e.grid_id, -1) AS int8),
       (e.grid_version, e.community_code, e.subdistrict_code, e.worker_id)
       IS NOT DISTINCT FROM (a.version, a.community_code, a.parent_code, a.worker_id)
FROM event e LEFT JOIN attrs a ON a.id = e.grid_id
WHERE e.geom IS NOT NULL
