-- Event KPIs per grid, community or subdistrict (:level; 'total': one row for :region) for
-- events reported in [:start, :end): counts by state and category, 按期结案率 (closed by due_at / closed),
-- mean hours to close, satisfaction rate (scores >= :satisfied_min / scores given), open
-- overdue events (at :now), events not yet closed (未结案, gm_event_not_closed), escalated
-- events (吹哨 beyond the grid) and counts by channel. Only events inside :scope
-- (gm_in_region; the caller's region or a smaller one). One statement. Months outside
-- [:start, :end) are pruned at plan time (event is partitioned by month, migration 0015).
-- One pass over the period's events (agg), grouped by the unit's key k (grid id as text,
-- community or subdistrict code) with every measure as a sum or count (facet 7), and by
-- (kf, status), (kf, category), (kf, channel) (facets 3, 5, 6), kf being k at the community
-- and subdistrict levels (a few hundred units) and NULL at the grid level: there the pass
-- groups the region's facets only (8k groups at a city instead of 160k), and the facets of
-- the page's grids come from their own events, read by index (page_facets). Grid codes and
-- names are joined to the keys, not to every event (a grid code may have several versions,
-- so measures are summed again per code: means are sums / counts). Facets become jsonb per
-- unit (key order is jsonb's own), the total (whole = 1) from the same pass. :limit/:offset
-- page the units by code; number_matched counts them all.
-- At the city (5M events, 350k in October 2026, 7,993 grids), the grid level under load:
-- a page of 100 in 0.45 s, was 1.6-3.6 s for all of them (with 4 grouping sets per grid).
WITH agg AS (
    SELECT CASE WHEN GROUPING(x.status, x.category, x.channel) = 7 THEN x.k ELSE x.kf END AS k,
           x.status, x.category, x.channel, GROUPING(x.status, x.category, x.channel) AS facet,
           count(*) AS events,
           count(*) FILTER (WHERE x.status = 'closed') AS closed,
           count(*) FILTER (WHERE x.status = 'closed' AND x.closed_at <= x.due_at) AS closed_on_time,
           sum(date_part('epoch', x.closed_at - x.reported_at) / 3600.0)
               FILTER (WHERE x.status = 'closed') AS hours,
           count(x.closed_at - x.reported_at) FILTER (WHERE x.status = 'closed') AS timed,
           count(x.satisfaction) AS rated,
           count(*) FILTER (WHERE x.satisfaction >= :satisfied_min) AS satisfied,
           sum(x.satisfaction) AS scores,
           count(*) FILTER (WHERE gm_event_open(x.status) AND x.due_at < :now) AS overdue,
           count(*) FILTER (WHERE gm_event_not_closed(x.status)) AS not_closed,
           count(*) FILTER (WHERE x.escalation_level <> 'grid') AS escalated
    FROM (SELECT CASE CAST(:level AS text) WHEN 'grid' THEN CAST(e.grid_id AS text)
                      WHEN 'community' THEN e.community_code
                      WHEN 'total' THEN CAST(:region AS text) ELSE e.subdistrict_code END AS k,
                 CASE CAST(:level AS text) WHEN 'community' THEN e.community_code
                      WHEN 'total' THEN CAST(:region AS text)
                      WHEN 'subdistrict' THEN e.subdistrict_code END AS kf,
                 e.status, e.category, e.channel, e.closed_at, e.due_at, e.reported_at,
                 e.satisfaction, e.escalation_level
          FROM event e
          WHERE e.reported_at >= :start AND e.reported_at < :end
            AND gm_in_region(coalesce(e.community_code, e.subdistrict_code, e.region_code),
                             :scope)) x
    GROUP BY GROUPING SETS ((x.k), (x.kf, x.status), (x.kf, x.category), (x.kf, x.channel))
),
units AS (
    SELECT coalesce(a.k, '') AS k, coalesce(g.code, a.k) AS unit_code, g.name AS grid_name
    FROM agg a LEFT JOIN grid g
      ON g.id = CASE WHEN CAST(:level AS text) = 'grid' THEN CAST(a.k AS integer) END
    WHERE a.facet = 7
),
-- one page of units by code (:limit NULL: all), the null unit last; the measures, names and
-- facets below are joined to the page's units only, the total to none
page AS (
    SELECT p.unit_code FROM (SELECT DISTINCT unit_code FROM units) p
    ORDER BY p.unit_code NULLS LAST LIMIT :limit OFFSET :offset
),
paged AS (
    SELECT u.* FROM units u JOIN page p ON p.unit_code IS NOT DISTINCT FROM u.unit_code
),
matched AS (SELECT count(DISTINCT coalesce(unit_code, '')) AS n FROM units),
-- level grid: the page's grids' events by index (grid_id, reported_at), counted per grid id
-- and facet before meeting the page (MATERIALIZED: the planner expects one row of a page
-- and would read the events again for each of its grids)
page_facets AS MATERIALIZED (
    SELECT p.grid_id, GROUPING(p.status, p.category, p.channel) AS facet, p.status,
           p.category, p.channel, count(*) AS n
    FROM (
        SELECT e.grid_id, e.status, e.category, e.channel
        FROM event e
        WHERE CAST(:level AS text) = 'grid'
          AND e.reported_at >= :start AND e.reported_at < :end
          AND gm_in_region(coalesce(e.community_code, e.subdistrict_code, e.region_code), :scope)
          AND e.grid_id = ANY(ARRAY(SELECT CAST(k AS integer) FROM paged WHERE k <> ''))
        UNION ALL
        SELECT e.grid_id, e.status, e.category, e.channel
        FROM event e
        WHERE CAST(:level AS text) = 'grid' AND EXISTS (SELECT 1 FROM paged WHERE k = '')
          AND e.reported_at >= :start AND e.reported_at < :end
          AND gm_in_region(coalesce(e.community_code, e.subdistrict_code, e.region_code), :scope)
          AND e.grid_id IS NULL
    ) p
    GROUP BY GROUPING SETS ((p.grid_id, p.status), (p.grid_id, p.category),
                            (p.grid_id, p.channel))
),
main AS (
    SELECT u.unit_code, 0 AS whole, max(u.grid_name) AS grid_name,
           sum(a.events)::bigint AS events, sum(a.closed)::bigint AS closed,
           sum(a.closed_on_time)::bigint AS closed_on_time,
           sum(a.hours) / nullif(sum(a.timed), 0) AS mean_hours_to_close,
           sum(a.rated)::bigint AS rated, sum(a.satisfied)::bigint AS satisfied,
           sum(a.scores) / nullif(sum(a.rated), 0) AS mean_satisfaction,
           sum(a.overdue)::bigint AS overdue, sum(a.not_closed)::bigint AS not_closed,
           sum(a.escalated)::bigint AS escalated
    FROM agg a JOIN paged u ON u.k = coalesce(a.k, '')
    WHERE a.facet = 7
    GROUP BY u.unit_code
    UNION ALL
    SELECT NULL, 1, NULL, sum(a.events)::bigint, sum(a.closed)::bigint,
           sum(a.closed_on_time)::bigint, sum(a.hours) / nullif(sum(a.timed), 0),
           sum(a.rated)::bigint, sum(a.satisfied)::bigint,
           sum(a.scores) / nullif(sum(a.rated), 0), sum(a.overdue)::bigint,
           sum(a.not_closed)::bigint, sum(a.escalated)::bigint
    FROM agg a WHERE a.facet = 7
    HAVING count(*) > 0
),
facets AS (
    SELECT unit_code, whole,
           jsonb_object_agg(status, n) FILTER (WHERE facet = 3 AND status IS NOT NULL)
               AS by_state,
           jsonb_object_agg(category, n) FILTER (WHERE facet = 5 AND category IS NOT NULL)
               AS by_category,
           jsonb_object_agg(channel, n) FILTER (WHERE facet = 6 AND channel IS NOT NULL)
               AS by_channel
    FROM (SELECT u.unit_code, 0 AS whole, a.facet, a.status, a.category, a.channel,
                 sum(a.events)::bigint AS n
          FROM agg a JOIN paged u ON u.k = coalesce(a.k, '')
          WHERE a.facet < 7 AND CAST(:level AS text) <> 'grid'
          GROUP BY 1, 3, 4, 5, 6
          UNION ALL
          SELECT u.unit_code, 0, p.facet, p.status, p.category, p.channel, sum(p.n)::bigint
          FROM page_facets p JOIN paged u ON u.k = coalesce(CAST(p.grid_id AS text), '')
          GROUP BY 1, 3, 4, 5, 6
          UNION ALL
          SELECT NULL, 1, a.facet, a.status, a.category, a.channel, sum(a.events)::bigint
          FROM agg a WHERE a.facet < 7
          GROUP BY 3, 4, 5, 6) f
    GROUP BY 1, 2
)
SELECT CASE WHEN m.whole = 1 THEN CAST(:region AS text) ELSE m.unit_code END AS unit_code,
       m.whole = 1 AS whole,
       CASE WHEN m.whole = 1 THEN r.name ELSE coalesce(m.grid_name, r.name) END AS unit_name,
       m.events, m.closed,
       m.closed_on_time,
       round(m.closed_on_time::numeric / nullif(m.closed, 0), 4) AS on_time_rate,
       round(m.mean_hours_to_close::numeric, 2) AS mean_hours_to_close,
       m.rated, round(m.satisfied::numeric / nullif(m.rated, 0), 4) AS satisfaction_rate,
       round(m.mean_satisfaction::numeric, 2) AS mean_satisfaction,
       m.overdue, m.not_closed, m.escalated, f.by_state, f.by_category, f.by_channel,
       (SELECT n FROM matched) AS number_matched
FROM main m
JOIN facets f ON coalesce(f.unit_code, '') = coalesce(m.unit_code, '') AND f.whole = m.whole
LEFT JOIN region r ON r.code = CASE WHEN m.whole = 1 THEN CAST(:region AS text)
                                    ELSE m.unit_code END
ORDER BY m.whole, m.unit_code NULLS LAST
