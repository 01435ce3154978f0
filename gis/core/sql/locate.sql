-- Which unified grid holds a point (EPSG:4490 lon/lat), with its community, subdistrict and
-- primary worker. Rules: ST_Covers (edges count); a point covered by several grids (shared
-- edge or vertex) goes to the lowest grid code; an uncovered point goes to the nearest grid
-- (geodesic metres, ties by code). :at NULL means current grids (valid_to IS NULL), else the
-- grids valid at :at (valid_from <= :at < coalesce(valid_to, infinity)).
-- The two branches are written out (no shared CTE) so each keeps the grid's GiST index.
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) AS g),
hit AS (
    SELECT gr.id, 0.0::float8 AS distance_m
    FROM grid gr, p
    WHERE gr.theme = 'unified' AND ST_Covers(gr.geom, p.g)
      AND ((CAST(:at AS timestamptz) IS NULL AND gr.valid_to IS NULL)
           OR (gr.valid_from <= CAST(:at AS timestamptz)
               AND (gr.valid_to IS NULL OR CAST(:at AS timestamptz) < gr.valid_to)))
    ORDER BY gr.code
    LIMIT 1
),
near AS (
    -- KNN in degrees pre-selects a few candidates; the geodesic distance decides among them
    SELECT k.id, ST_Distance(k.geom::geography, p.g::geography) AS distance_m
    FROM (
        SELECT gr.id, gr.code, gr.geom
        FROM grid gr, p
        WHERE gr.theme = 'unified' AND NOT EXISTS (SELECT 1 FROM hit)
          AND ((CAST(:at AS timestamptz) IS NULL AND gr.valid_to IS NULL)
               OR (gr.valid_from <= CAST(:at AS timestamptz)
                   AND (gr.valid_to IS NULL OR CAST(:at AS timestamptz) < gr.valid_to)))
        ORDER BY gr.geom <-> p.g
        LIMIT 4
    ) k, p
    ORDER BY distance_m, k.code
    LIMIT 1
),
chosen AS (SELECT * FROM hit UNION ALL SELECT * FROM near)
SELECT gr.id AS grid_id, gr.code AS grid_code, gr.name AS grid_name, gr.version AS grid_version,
       gr.kind AS grid_kind,
       com.code AS community_code, com.name AS community_name,
       sub.code AS subdistrict_code, sub.name AS subdistrict_name,
       c.distance_m,
       ST_Distance(ST_Boundary(gr.geom)::geography, p.g::geography) AS edge_distance_m,
       w.id AS worker_id, w.name AS worker_name, w.phone AS worker_phone,
       w.duties AS worker_duties, w.supervision_phone AS worker_supervision_phone
FROM chosen c
JOIN grid gr ON gr.id = c.id
CROSS JOIN p
LEFT JOIN region com ON com.code = gr.community_code
LEFT JOIN region sub ON sub.code = com.parent_code
LEFT JOIN LATERAL gm_primary_worker(gr.id) w ON true
