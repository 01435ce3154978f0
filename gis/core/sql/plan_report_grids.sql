-- Per proposed grid of :plan, measured in metric CRS :epsg (CGCS2000 Gauss-Kruger zone):
-- households (the plan's), residents, buildings, households and buildings moved into it
-- (:moved, the plan's moved building ids), area (m²), perimeter (m), parts (polygons in its
-- shape) and compactness: Polsby-Popper 4πA/P², convex-hull ratio A/A(hull), Reock
-- A/(π r²) with r the radius of the minimum bounding circle. One statement, set-based.
WITH m AS (
    SELECT pg.id, ST_Transform(pg.geom, CAST(:epsg AS int)) AS g
    FROM plan_grid pg WHERE pg.plan_id = :plan
), b AS (
    SELECT pb.plan_grid_id AS id, count(*) AS buildings, sum(b.residents) AS residents,
           count(*) FILTER (WHERE b.id = ANY(CAST(:moved AS int[]))) AS moved_buildings,
           COALESCE(sum(b.households) FILTER (WHERE b.id = ANY(CAST(:moved AS int[]))), 0)
               AS moved_households
    FROM plan_building pb JOIN building b ON b.id = pb.building_id
    WHERE pb.plan_id = :plan GROUP BY pb.plan_grid_id
)
SELECT pg.seq, pg.name, pg.community_code, r.name AS community_name, pg.kind, pg.flag,
       g.code AS source_grid_code, pg.households,
       COALESCE(b.residents, 0)::int AS residents, COALESCE(b.buildings, 0)::int AS buildings,
       COALESCE(b.moved_buildings, 0)::int AS moved_buildings,
       COALESCE(b.moved_households, 0)::int AS moved_households,
       ST_Area(m.g) AS area_m2, ST_Perimeter(m.g) AS perimeter_m,
       ST_NumGeometries(pg.geom) AS parts,
       4 * pi() * ST_Area(m.g) / NULLIF(ST_Perimeter(m.g) ^ 2, 0) AS polsby_popper,
       ST_Area(m.g) / NULLIF(ST_Area(ST_ConvexHull(m.g)), 0) AS hull_ratio,
       ST_Area(m.g) / NULLIF(pi() * (ST_MinimumBoundingRadius(m.g)).radius ^ 2, 0) AS reock
FROM plan_grid pg
JOIN m ON m.id = pg.id
LEFT JOIN b ON b.id = pg.id
LEFT JOIN region r ON r.code = pg.community_code
LEFT JOIN grid g ON g.id = pg.source_grid_id
WHERE pg.plan_id = :plan
ORDER BY pg.seq
