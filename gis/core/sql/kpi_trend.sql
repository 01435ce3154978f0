-- Events reported per day or week (:unit, UTC like the KPI period) in [:start, :end) inside
-- :scope (gm_in_region): reported, closed, closed by due_at, and open events overdue at :now.
-- Days without events come as zeros (generate_series), so a chart's axis has no gaps.
WITH periods AS (
    SELECT generate_series(date_trunc(CAST(:unit AS text), CAST(:start AS timestamptz), 'UTC'),
                           CAST(:end AS timestamptz) - interval '1 microsecond',
                           CAST('1 ' || CAST(:unit AS text) AS interval)) AS period
),
ev AS (
    SELECT date_trunc(CAST(:unit AS text), e.reported_at, 'UTC') AS period, e.status,
           e.due_at, e.closed_at
    FROM event e
    WHERE e.reported_at >= :start AND e.reported_at < :end
      AND gm_in_region(coalesce(e.community_code, e.subdistrict_code), :scope)
)
SELECT to_char(p.period AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS period,
       count(ev.period) AS events,
       count(*) FILTER (WHERE ev.status = 'closed') AS closed,
       count(*) FILTER (WHERE ev.status = 'closed' AND ev.closed_at <= ev.due_at)
           AS closed_on_time,
       count(*) FILTER (WHERE gm_event_open(ev.status) AND ev.due_at < :now) AS overdue
FROM periods p LEFT JOIN ev ON ev.period = p.period
GROUP BY p.period ORDER BY p.period
