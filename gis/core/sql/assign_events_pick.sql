-- The assignments of located events that change (all events, or :ids), in one SELECT:
-- id, grid_id, grid_version, community_code, subdistrict_code, worker_id, with grid_id NULL
-- for events more than :max_outside_m outside every grid. gis/grids/assign.py writes them (one
-- UPDATE from this statement, or from a temporary table holding its rows for bulk work).
-- Same rules as locate.sql: ST_Covers, lowest grid code on shared edges; an uncovered event
-- within :max_outside_m metres (Gauss-Kruger metres: within 2 cm of geodesic up to 2 degrees from
-- the zone's central meridian, tests/gis/grids/test_assign_real.py) of a grid goes
-- to the nearest one; farther ones get no grid. The grid's version goes with the
-- assignment. Events whose assignment is already right are left out (re-runs are cheap).
-- :reported (NULL, or the reported_at of the :ids events, an intake's few new ones): a
-- constant array the planner prunes the month partitions with, planning one, not all.
WITH piece AS MATERIALIZED (
    -- grids cut into pieces of at most :piece_vertices vertices (ST_Subdivide), used for
    -- their tight boxes only: far fewer GiST candidates than whole grids' boxes. The exact
    -- test is ST_Covers on the whole grid (prepared once per piece run): the pieces tile the
    -- grid only up to rounding, and a point on a grid vertex was found in no piece of its
    -- lowest-coded grid (tests/batch/test_batch.py, generated set), so each box is grown by
    -- 1e-9 degrees (0.1 mm). Measured on 1M demo points (EXPLAIN ANALYZE): join 1.6-2.7 s
    -- with 16-vertex pieces (738) vs 3.0-4.1 s with whole grids (63). A handful of events
    -- gains nothing, so the caller passes a huge :piece_vertices then.
    SELECT id, code, geom AS whole,
           ST_Expand(ST_Envelope(ST_Subdivide(geom, :piece_vertices)), 1e-9) AS box
    FROM grid WHERE theme = 'unified' AND valid_to IS NULL
),
covered AS (
    -- piece outer, event GiST index inner: each grid stays put across many ST_Covers
    -- calls (PostGIS's prepared-geometry cache). A point in the boxes of two pieces of
    -- one grid, or of two grids, appears twice: DISTINCT ON keeps the lowest grid code.
    SELECT DISTINCT ON (e.id) e.id, gr.id AS grid_id, e.grid_id AS was_grid_id,
           e.grid_version AS was_grid_version, e.community_code AS was_community_code,
           e.subdistrict_code AS was_subdistrict_code, e.worker_id AS was_worker_id
    FROM piece gr JOIN event e ON gr.box && e.geom AND ST_Covers(gr.whole, e.geom)
    WHERE (CAST(:ids AS int[]) IS NULL OR e.id = ANY(CAST(:ids AS int[])))
      AND (CAST(:reported AS timestamptz[]) IS NULL
           OR e.reported_at = ANY(CAST(:reported AS timestamptz[])))
    ORDER BY e.id, gr.code
),
zone AS MATERIALIZED (
    -- :metric_srid, the metric CRS of the grids (gis.core.crs.metric_epsg of their extent,
    -- chosen in Python): the 50 m test runs on metres there (geography distances to
    -- polygons measured ~5x slower)
    SELECT CAST(:metric_srid AS int) AS srid
),
outside AS MATERIALIZED (
    -- uncovered events with a degree box at least :max_outside_m wide around them (as plain
    -- numbers: x +- dx, y +- dy) and their point in metres, both computed once per event
    SELECT e.id, e.grid_id AS was_grid_id, e.grid_version AS was_grid_version,
           e.community_code AS was_community_code, e.subdistrict_code AS was_subdistrict_code,
           e.worker_id AS was_worker_id, ST_X(e.geom) AS x, ST_Y(e.geom) AS y,
           :max_outside_m / 110000.0 / cos(radians(ST_Y(e.geom))) AS dx,
           :max_outside_m / 110000.0 AS dy,
           ST_Transform(e.geom, z.srid) AS mpt, z.srid
    FROM event e CROSS JOIN zone z
    WHERE e.geom IS NOT NULL
      AND (CAST(:ids AS int[]) IS NULL OR e.id = ANY(CAST(:ids AS int[])))
      AND (CAST(:reported AS timestamptz[]) IS NULL
           OR e.reported_at = ANY(CAST(:reported AS timestamptz[])))
      AND NOT EXISTS (SELECT 1 FROM covered c WHERE c.id = e.id)
),
metric AS MATERIALIZED (
    -- the grids in metres, transformed once; scanned per uncovered event with a cheap box
    -- test on plain float bounds (a geometry && would read each grid's whole geometry from
    -- the CTE per event); fine for a district's hundreds of grids, an index would pay for
    -- many thousands
    SELECT gr.id, gr.code, ST_XMin(gr.geom) AS xmin, ST_XMax(gr.geom) AS xmax,
           ST_YMin(gr.geom) AS ymin, ST_YMax(gr.geom) AS ymax,
           ST_Transform(gr.geom, z.srid) AS mgeom
    FROM grid gr CROSS JOIN zone z WHERE gr.theme = 'unified' AND gr.valid_to IS NULL
),
near AS (
    SELECT o.id, n.grid_id, o.was_grid_id, o.was_grid_version, o.was_community_code,
           o.was_subdistrict_code, o.was_worker_id
    FROM outside o
    CROSS JOIN LATERAL (
        SELECT m.id AS grid_id
        FROM metric m
        WHERE m.xmin <= o.x + o.dx AND m.xmax >= o.x - o.dx
          AND m.ymin <= o.y + o.dy AND m.ymax >= o.y - o.dy
          AND ST_DWithin(m.mgeom, o.mpt, :max_outside_m)
        ORDER BY ST_Distance(m.mgeom, o.mpt), m.code
        LIMIT 1
    ) n
),
workers AS (
    SELECT DISTINCT ON (gwg.grid_id) gwg.grid_id, gwg.worker_id
    FROM grid_worker_grid gwg JOIN grid_worker gw ON gw.id = gwg.worker_id
    ORDER BY gwg.grid_id, gwg.is_primary DESC, gw.role = 'full_time' DESC, gw.id
),
candidate AS (
    -- every target event: covered, near, or (the rest of ``outside``) no grid at all
    SELECT * FROM covered
    UNION ALL SELECT * FROM near
    UNION ALL SELECT o.id, NULL, o.was_grid_id, o.was_grid_version, o.was_community_code,
                     o.was_subdistrict_code, o.was_worker_id
              FROM outside o WHERE NOT EXISTS (SELECT 1 FROM near n WHERE n.id = o.id)
)
SELECT c.id, gr.id AS grid_id, gr.version AS grid_version, gr.community_code,
       com.parent_code AS subdistrict_code, w.worker_id
FROM candidate c
LEFT JOIN grid gr ON gr.id = c.grid_id
LEFT JOIN region com ON com.code = gr.community_code
LEFT JOIN workers w ON w.grid_id = gr.id
WHERE (c.was_grid_id, c.was_grid_version, c.was_community_code, c.was_subdistrict_code,
       c.was_worker_id)
      IS DISTINCT FROM (gr.id, gr.version, gr.community_code, com.parent_code, w.worker_id)
