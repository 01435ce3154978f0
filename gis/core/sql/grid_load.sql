-- Load of every current grid of one theme in a scope, in one statement: households,
-- residents, buildings, geodesic area, events per month over the last :months months and
-- residents per special group (resident.categories). :scope is the region prefix
-- (jurisdiction.scope_prefix of a community, subdistrict or district code; NULL: everywhere)
-- the grids' community codes must lie in. Buildings of a grid are gm_grid_buildings
-- (migration 0007); unified grids count the events assignment gave them (event.grid_id),
-- thematic layers have no assignment column, so they count events by location (GiST via &&).
-- EXPLAIN ANALYZE on the demo subdistrict (65 unified grids, 2.5k buildings, 61k residents):
-- ~0.3 s; unified joins use ix_building_grid_id / ix_event_grid_id, thematic ones the GiST
-- indexes; residents are read once by hash join (all of them: every grid is asked for).
WITH g AS (
    SELECT gr.id, gr.code, gr.name, gr.theme, gr.kind, gr.community_code, gr.locked,
           gr.version, gr.geom
    FROM grid gr
    WHERE gr.valid_to IS NULL AND gr.theme = :theme
      AND gm_in_region(gr.community_code, :scope)
),
bg AS (
    SELECT g.id AS grid_id, b.id AS building_id, b.households, b.residents
    FROM g CROSS JOIN LATERAL gm_grid_buildings(g.id, g.theme, g.geom) AS b
),
bl AS (
    SELECT grid_id, count(*) AS buildings, sum(households) AS households,
           sum(residents) AS residents
    FROM bg GROUP BY grid_id
),
sg AS (
    SELECT t.grid_id, jsonb_object_agg(t.category, t.n) AS special_groups,
           sum(t.n) AS special_total
    FROM (
        SELECT bg.grid_id, c.category, count(*) AS n
        FROM bg JOIN resident rs ON rs.building_id = bg.building_id
        CROSS JOIN LATERAL unnest(rs.categories) AS c(category)
        GROUP BY bg.grid_id, c.category
    ) t
    GROUP BY t.grid_id
),
ev AS (
    SELECT x.grid_id, count(*) AS events
    FROM (
        SELECT g.id AS grid_id FROM g JOIN event e ON e.grid_id = g.id
        WHERE :theme = 'unified' AND e.reported_at >= now() - make_interval(months => :months)
        UNION ALL
        SELECT g.id FROM g JOIN event e ON e.geom && g.geom AND ST_Intersects(g.geom, e.geom)
        WHERE :theme <> 'unified' AND e.reported_at >= now() - make_interval(months => :months)
    ) x
    GROUP BY x.grid_id
)
SELECT g.id, g.code, g.name, g.theme, g.kind, g.community_code, g.locked, g.version,
       COALESCE(bl.households, 0)::int AS households,
       COALESCE(bl.residents, 0)::int AS residents,
       COALESCE(bl.buildings, 0)::int AS buildings,
       round((ST_Area(g.geom::geography) / 1e6)::numeric, 4)::float8 AS area_km2,
       round(COALESCE(ev.events, 0)::numeric / :months, 2)::float8 AS events_per_month,
       COALESCE(sg.special_total, 0)::int AS special_total,
       COALESCE(sg.special_groups, '{}'::jsonb) AS special_groups
FROM g
LEFT JOIN bl ON bl.grid_id = g.id
LEFT JOIN sg ON sg.grid_id = g.id
LEFT JOIN ev ON ev.grid_id = g.id
ORDER BY g.community_code, g.code
