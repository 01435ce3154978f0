-- Every current unified grid with what locate answers about it (gis/core/sql/locate.sql's
-- joins: community, subdistrict, primary worker), and the locate_version it belongs to, read
-- in one statement so both come from one snapshot. Geometry as WKB, EPSG:4490.
SELECT (SELECT version FROM locate_version) AS version,
       gr.id AS grid_id, gr.code AS grid_code, gr.name AS grid_name,
       gr.version AS grid_version, gr.kind AS grid_kind,
       com.code AS community_code, com.name AS community_name,
       sub.code AS subdistrict_code, sub.name AS subdistrict_name,
       w.id AS worker_id, w.name AS worker_name, w.phone AS worker_phone,
       w.duties AS worker_duties, w.supervision_phone AS worker_supervision_phone,
       ST_AsBinary(gr.geom) AS wkb
FROM grid gr
LEFT JOIN region com ON com.code = gr.community_code
LEFT JOIN region sub ON sub.code = com.parent_code
LEFT JOIN LATERAL gm_primary_worker(gr.id) w ON true
WHERE gr.theme = 'unified' AND gr.valid_to IS NULL
ORDER BY gr.code
