-- Topology QA of the current grids of one theme (or every theme, :theme NULL) in a scope
-- (:scope the region prefix of a community, subdistrict or district code, as
-- jurisdiction.scope_prefix gives it; NULL everywhere), in one statement: the communities
-- inside it (gm_in_region), then their grids and buildings by community code.
-- Each row is one problem: check, theme, community_code, grid_codes, building_code,
-- area_m2 (geodesic, CGCS2000 ellipsoid), buildings, geom (EPSG:4490). Checks:
--   overlap / overlap_sliver   two grids of one layer in one community covering the same ground
--   gap / gap_sliver           community ground covered by no grid of a layer it has grids of
--   crosses_community          grid ground outside its own community
--   building_cut               a building split by grid edges (main grid < :cut_share of it)
--   building_outside           a building touching no grid of the layer
-- A sliver is a piece under :sliver_m2, or a thin one (Polsby-Popper < 0.05) under 10×.
-- EXPLAIN ANALYZE on the demo subdistrict, every theme (197 grids): ~2.8 s, dominated by
-- ST_Union/ST_Difference of the gap check; buildings come through ix_building_community_code
-- and grids through the GiST index (&&).
WITH scope AS (
    SELECT r.code, r.geom FROM region r
    WHERE r.level = 'community' AND gm_in_region(r.code, :scope)
),
g AS (
    SELECT gr.id, gr.code, gr.theme, gr.community_code, gr.geom
    FROM grid gr JOIN scope s ON s.code = gr.community_code
    WHERE gr.valid_to IS NULL AND (CAST(:theme AS text) IS NULL OR gr.theme = :theme)
),
overlapping AS (
    SELECT a.theme, a.community_code, ARRAY[a.code, b.code] AS grid_codes,
           ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3) AS geom
    FROM g a JOIN g b ON a.theme = b.theme AND a.community_code = b.community_code
        AND a.id < b.id AND a.geom && b.geom AND ST_Overlaps(a.geom, b.geom)
),
gaps AS (
    SELECT u.theme, u.community_code, (ST_Dump(ST_Difference(s.geom, u.geom))).geom AS geom
    FROM (SELECT theme, community_code, ST_Union(geom) AS geom FROM g
          GROUP BY theme, community_code) u
    JOIN scope s ON s.code = u.community_code
),
crossing AS (
    SELECT g.theme, g.community_code, ARRAY[g.code] AS grid_codes,
           ST_CollectionExtract(ST_Difference(g.geom, s.geom), 3) AS geom
    FROM g JOIN scope s ON s.code = g.community_code
    WHERE NOT ST_CoveredBy(g.geom, s.geom)
),
cut AS (
    SELECT x.theme, b.community_code, x.grid_codes, b.code AS building_code, b.geom,
           ST_Area(b.geom::geography) * (1 - x.main_share) AS area_m2
    FROM building b
    JOIN scope s ON s.code = b.community_code
    CROSS JOIN LATERAL (
        SELECT g.theme, array_agg(g.code ORDER BY g.code) AS grid_codes,
               max(ST_Area(ST_Intersection(g.geom, b.geom)) / NULLIF(ST_Area(b.geom), 0))
                   AS main_share
        FROM g WHERE g.geom && b.geom AND ST_Intersects(g.geom, b.geom)
            AND NOT ST_Covers(g.geom, b.geom)
        GROUP BY g.theme
        HAVING count(*) > 1
    ) x
    WHERE x.main_share < :cut_share
),
outside AS (
    SELECT t.theme, b.community_code, b.code AS building_code, b.geom
    FROM building b
    JOIN scope s ON s.code = b.community_code
    CROSS JOIN (SELECT DISTINCT theme FROM g) t
    WHERE NOT EXISTS (SELECT 1 FROM g WHERE g.theme = t.theme AND g.geom && b.geom
                      AND ST_Intersects(g.geom, b.geom))
),
pieces AS (
    SELECT 'overlap' AS kind, theme, community_code, grid_codes, geom FROM overlapping
    UNION ALL
    SELECT 'gap', theme, community_code, ARRAY[]::text[], geom FROM gaps
    UNION ALL
    SELECT 'crosses_community', theme, community_code, grid_codes, geom FROM crossing
),
measured AS (
    SELECT p.*, ST_Area(p.geom::geography) AS area_m2,
           4 * pi() * ST_Area(p.geom::geography)
               / NULLIF(power(ST_Perimeter(p.geom::geography), 2), 0) AS pp
    FROM pieces p WHERE NOT ST_IsEmpty(p.geom)
)
SELECT CASE WHEN kind <> 'crosses_community'
             AND (area_m2 < :sliver_m2 OR (pp < 0.05 AND area_m2 < 10 * :sliver_m2))
            THEN kind || '_sliver' ELSE kind END AS check,
       theme, community_code, grid_codes, NULL::text AS building_code,
       round(area_m2::numeric, 1)::float8 AS area_m2, 0 AS buildings,
       ST_Multi(geom) AS geom
FROM measured WHERE area_m2 >= :min_m2
UNION ALL
SELECT 'building_cut', theme, community_code, grid_codes, building_code,
       round(area_m2::numeric, 1)::float8, 1, geom FROM cut
UNION ALL
SELECT 'building_outside', theme, community_code, ARRAY[]::text[], building_code,
       round(ST_Area(geom::geography)::numeric, 1)::float8, 1, geom FROM outside
ORDER BY 1, 2, 3
