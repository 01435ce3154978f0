-- Event KPIs per grid, community or subdistrict (:level; 'total': one row for :region) for events reported in
-- [:start, :end): counts by state and category, 按期结案率 (closed by due_at / closed),
-- mean hours to close, satisfaction rate (scores >= :satisfied_min / scores given), open
-- overdue events (at :now), events not yet closed (未结案, gm_event_not_closed), escalated
-- events (吹哨 beyond the grid) and counts by channel. Only events inside :scope
-- (gm_in_region; the caller's region or a smaller one). One statement. Months outside
-- [:start, :end) are pruned (event is partitioned by month, migration 0015); states,
-- categories and channels come from one grouping-sets pass, joined to the units on
-- coalesce(unit_code, '') = ..., which hashes (three passes joined by IS NOT DISTINCT FROM
-- made nested loops: 2.8 s of 3 s for 1,513 grids at a 1M-event city, 58k events in the month).
-- The last row (whole = true, unit_code :region) is the total over every unit: grouping sets
-- give it from the same pass (it took a second run of the statement).
WITH ev AS (
    SELECT CASE CAST(:level AS text) WHEN 'grid' THEN g.code
                WHEN 'community' THEN e.community_code
                WHEN 'total' THEN CAST(:region AS text) ELSE e.subdistrict_code END AS unit_code,
           e.status, e.category, e.channel, e.reported_at, e.due_at, e.closed_at, e.satisfaction,
           e.escalation_level,
           CASE WHEN CAST(:level AS text) = 'grid' THEN g.name END AS grid_name
    FROM event e LEFT JOIN grid g ON g.id = e.grid_id
    WHERE e.reported_at >= :start AND e.reported_at < :end
      AND gm_in_region(coalesce(e.community_code, e.subdistrict_code, e.region_code), :scope)
),
facets AS (
    -- states, categories and channels in one pass (each is non-null only in its own set)
    SELECT unit_code, whole,
           jsonb_object_agg(status, n ORDER BY status) FILTER (WHERE status IS NOT NULL)
               AS by_state,
           jsonb_object_agg(category, n ORDER BY category) FILTER (WHERE category IS NOT NULL)
               AS by_category,
           jsonb_object_agg(channel, n ORDER BY channel) FILTER (WHERE channel IS NOT NULL)
               AS by_channel
    FROM (SELECT unit_code, status, category, channel, GROUPING(unit_code) AS whole,
                 count(*) AS n
          FROM ev
          GROUP BY GROUPING SETS ((unit_code, status), (unit_code, category),
                                  (unit_code, channel), (status), (category), (channel))) f
    GROUP BY 1, 2
),
main AS (
    SELECT unit_code, GROUPING(unit_code) AS whole, max(grid_name) AS grid_name,
           count(*) AS events,
           count(*) FILTER (WHERE status = 'closed') AS closed,
           count(*) FILTER (WHERE status = 'closed' AND closed_at <= due_at) AS closed_on_time,
           -- date_part is float8 (extract is numeric since PostgreSQL 14, several times
           -- slower over a city's month); the answer is rounded to two places
           avg(date_part('epoch', closed_at - reported_at) / 3600.0)
               FILTER (WHERE status = 'closed') AS mean_hours_to_close,
           count(satisfaction) AS rated,
           count(*) FILTER (WHERE satisfaction >= :satisfied_min) AS satisfied,
           avg(satisfaction) AS mean_satisfaction,
           count(*) FILTER (WHERE gm_event_open(status) AND due_at < :now) AS overdue,
           count(*) FILTER (WHERE gm_event_not_closed(status)) AS not_closed,
           count(*) FILTER (WHERE escalation_level <> 'grid') AS escalated
    FROM ev GROUP BY GROUPING SETS ((unit_code), ())
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
       m.overdue, m.not_closed, m.escalated, f.by_state, f.by_category, f.by_channel
FROM main m
JOIN facets f ON coalesce(f.unit_code, '') = coalesce(m.unit_code, '') AND f.whole = m.whole
LEFT JOIN region r ON r.code = CASE WHEN m.whole = 1 THEN CAST(:region AS text)
                                    ELSE m.unit_code END
ORDER BY m.whole, m.unit_code NULLS LAST
