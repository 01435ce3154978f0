-- The current unified grids with the subdistrict they belong to (grids never cross a
-- community, so each lies in one subdistrict), for gis/batch: id, code, subdistrict, WKB
-- (EPSG:4490).
SELECT gr.id, gr.code, coalesce(com.parent_code, gr.community_code, '') AS subdistrict,
       ST_AsBinary(gr.geom) AS wkb
FROM grid gr LEFT JOIN region com ON com.code = gr.community_code
WHERE gr.theme = 'unified' AND gr.valid_to IS NULL
ORDER BY gr.code
