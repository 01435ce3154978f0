-- Current grids of one theme, one page, with their load and the public contact of their
-- primary full-time worker, in one statement. Laterals run only for the page's grids.
-- Buildings of a grid are gm_grid_buildings (migration 0007), open events gm_event_open.
-- Unified grids count the events assigned to them (event.grid_id); other themes have no
-- assignment column, so they count events whose point lies inside (GiST via &&). Each
-- branch tests the constant :theme (every row's theme), not p.theme: the planner drops the
-- branch that cannot apply, and with it planning all month partitions of event a second time
-- (a page of unified grids planned in about half the time).
-- EXPLAIN ANALYZE on 1,600 grids, 12,800 buildings, 5,000 events: a 100-grid bbox page runs in
-- ~10 ms (bitmap scan on idx_grid_geom, ix_building_grid_id per grid, the unused branch gated
-- by a one-time filter); all 1,600 grids with geometry come back in ~0.4 s. :scope (a region
-- prefix, jurisdiction.scope_prefix; NULL everywhere) keeps one region's grids (/map/qa).
-- :at_from/:at_to (NULL both: the grids in force now) pick the grids valid in that period.
WITH page AS (
    SELECT g.id, g.code, g.name, g.theme, g.kind, g.community_code, g.locked, g.version,
           g.geom, count(*) OVER () AS number_matched
    FROM grid AS g
    WHERE (CASE WHEN CAST(:at_from AS timestamptz) IS NULL AND CAST(:at_to AS timestamptz) IS NULL
                THEN g.valid_to IS NULL
                -- in force at some moment of [at_from, at_to] (OGC datetime; open ends: NULL)
                ELSE g.valid_from <= COALESCE(CAST(:at_to AS timestamptz), 'infinity')
                     AND (g.valid_to IS NULL
                          OR g.valid_to > COALESCE(CAST(:at_from AS timestamptz), '-infinity'))
           END)
      AND g.theme = :theme
      AND (CAST(:community_code AS text) IS NULL OR g.community_code = :community_code)
      AND gm_in_region(g.community_code, :scope)
      AND (CAST(:code AS text) IS NULL OR g.code = :code)
      AND (CAST(:minlon AS float8) IS NULL
           OR ST_Intersects(g.geom, ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4490)))
    ORDER BY g.code
    LIMIT :limit OFFSET :offset
)
SELECT p.id, p.code, p.name, p.theme, p.kind, p.community_code,
       r.name AS community_name,
       COALESCE(bl.households, 0)::int AS households,
       COALESCE(bl.residents, 0)::int AS residents,
       COALESCE(bl.buildings, 0)::int AS buildings,
       -- geodesic area on the CGCS2000 ellipsoid (4490 is geographic, so the cast is exact)
       round((ST_Area(p.geom::geography) / 1e6)::numeric, 4)::float8 AS area_km2,
       COALESCE(ev.open_events, 0)::int AS open_events,
       COALESCE(ev.not_closed_events, 0)::int AS not_closed_events,
       p.locked, p.version,
       w.name AS worker_name, w.phone AS worker_phone, w.supervision_phone,
       p.number_matched, p.geom
FROM page AS p
LEFT JOIN region AS r ON r.code = p.community_code
LEFT JOIN LATERAL (
    SELECT count(*) AS buildings, sum(b.households) AS households,
           sum(b.residents) AS residents
    FROM gm_grid_buildings(p.id, CAST(:theme AS text), p.geom) AS b
) AS bl ON true
LEFT JOIN LATERAL (
    -- open (未办结) events are a subset of the not-closed (未结案) ones (migration 0011)
    SELECT count(*) FILTER (WHERE gm_event_open(e.status)) AS open_events,
           count(*) AS not_closed_events
    FROM (
        SELECT e1.status FROM event AS e1
        WHERE CAST(:theme AS text) = 'unified' AND e1.grid_id = p.id
          AND gm_event_not_closed(e1.status)
        UNION ALL
        SELECT e2.status FROM event AS e2
        WHERE CAST(:theme AS text) <> 'unified' AND e2.geom && p.geom AND ST_Intersects(p.geom, e2.geom)
          AND gm_event_not_closed(e2.status)
    ) AS e
) AS ev ON true
LEFT JOIN LATERAL gm_primary_worker(p.id) AS w ON true
ORDER BY p.code
