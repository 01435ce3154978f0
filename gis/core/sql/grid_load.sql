-- Load of every current grid of one theme in a scope, in one statement: households,
-- residents, buildings, geodesic area, events per month since :since (the caller's
-- now() - :months months, passed as a value so only those months' partitions are planned) and
-- residents per special group (resident.categories). :scope is the region prefix
-- (jurisdiction.scope_prefix of a community, subdistrict or district code; NULL: everywhere)
-- the grids' community codes must lie in. Buildings of a unified grid are those assignment gave
-- it (building.grid_id, as gm_grid_buildings, migration 0007); thematic layers have no
-- assignment column, so they use gm_grid_buildings (point on surface inside, GiST) and count
-- events by location (GiST via &&). Set-based: each table is joined once to the grids and
-- grouped once (buildings from the covering index ix_building_grid_id (grid_id) INCLUDE
-- (households, residents), events from (grid_id, reported_at), residents only those with a
-- category); the area is grid.area_m2 (migration 0020, kept with the geometry). At the city
-- (5,040 unified grids, 300,951 buildings, 1M events) under load: 0.3-0.6 s, was 1.2-3 s
-- (a LATERAL gm_grid_buildings per grid, 300k rows materialised, ST_Area per request).
WITH g AS (
    SELECT gr.id, gr.code, gr.name, gr.theme, gr.kind, gr.community_code, gr.locked,
           gr.version, gr.geom, gr.area_m2
    FROM grid gr
    WHERE gr.valid_to IS NULL AND gr.theme = :theme
      AND gm_in_region(gr.community_code, :scope)
),
thematic AS (
    SELECT g.id AS grid_id, b.id AS building_id, b.households, b.residents
    FROM g CROSS JOIN LATERAL gm_grid_buildings(g.id, g.theme, g.geom) AS b
    WHERE :theme <> 'unified'
),
bl AS (
    SELECT b.grid_id, count(*) AS buildings, sum(b.households) AS households,
           sum(b.residents) AS residents
    FROM g JOIN building b ON b.grid_id = g.id
    WHERE :theme = 'unified'
    GROUP BY b.grid_id
    UNION ALL
    SELECT t.grid_id, count(*), sum(t.households), sum(t.residents)
    FROM thematic t GROUP BY t.grid_id
),
sg AS (
    SELECT t.grid_id, jsonb_object_agg(t.category, t.n) AS special_groups,
           sum(t.n) AS special_total
    FROM (
        SELECT x.grid_id, c.category, count(*) AS n
        FROM (SELECT b.grid_id, rs.categories
              FROM g JOIN building b ON b.grid_id = g.id
              JOIN resident rs ON rs.building_id = b.id
              WHERE :theme = 'unified' AND cardinality(rs.categories) > 0
              UNION ALL
              SELECT t.grid_id, rs.categories
              FROM thematic t JOIN resident rs ON rs.building_id = t.building_id
              WHERE cardinality(rs.categories) > 0) x
        CROSS JOIN LATERAL unnest(x.categories) AS c(category)
        GROUP BY x.grid_id, c.category
    ) t
    GROUP BY t.grid_id
),
ev AS (
    SELECT e.grid_id, count(*) AS events
    FROM g JOIN event e ON e.grid_id = g.id
    WHERE :theme = 'unified' AND e.reported_at >= :since
    GROUP BY e.grid_id
    UNION ALL
    SELECT g.id, count(*) FROM g JOIN event e ON e.geom && g.geom AND ST_Intersects(g.geom, e.geom)
    WHERE :theme <> 'unified' AND e.reported_at >= :since
    GROUP BY g.id
)
SELECT g.id, g.code, g.name, g.theme, g.kind, g.community_code, g.locked, g.version,
       COALESCE(bl.households, 0)::int AS households,
       COALESCE(bl.residents, 0)::int AS residents,
       COALESCE(bl.buildings, 0)::int AS buildings,
       round((g.area_m2 / 1e6)::numeric, 4)::float8 AS area_km2,
       round(COALESCE(ev.events, 0)::numeric / :months, 2)::float8 AS events_per_month,
       COALESCE(sg.special_total, 0)::int AS special_total,
       COALESCE(sg.special_groups, '{}'::jsonb) AS special_groups
FROM g
LEFT JOIN bl ON bl.grid_id = g.id
LEFT JOIN sg ON sg.grid_id = g.id
LEFT JOIN ev ON ev.grid_id = g.id
ORDER BY g.community_code, g.code
