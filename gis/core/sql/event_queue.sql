-- The dispatcher's list (/map/dispatch/list): open, overdue or unplaced (待定位) events with
-- filters, overdue first, then by due time; EPSG:4490 points (null while unplaced).
-- :since/:until are Beijing dates (inclusive); number_matched counts rows before paging.
SELECT e.code, e.category, e.description, e.channel, e.status, e.priority, e.address,
       g.code AS grid_code, g.name AS grid_name, e.community_code, com.name AS community_name,
       w.name AS worker_name, e.escalation_level, e.reported_at, e.due_at,
       (gm_event_open(e.status) AND e.due_at < now()) AS overdue,
       count(*) OVER () AS number_matched,
       count(*) FILTER (WHERE gm_event_open(e.status) AND e.due_at < now()) OVER ()
         AS overdue_matched,
       e.geom
FROM event e
LEFT JOIN grid g ON g.id = e.grid_id
LEFT JOIN region com ON com.code = e.community_code
LEFT JOIN grid_worker w ON w.id = e.worker_id
WHERE CASE CAST(:view AS text)
        WHEN 'overdue' THEN gm_event_open(e.status) AND e.due_at < now()
        WHEN 'needs_location' THEN e.status = 'needs_location'
        WHEN 'all' THEN true
        ELSE gm_event_open(e.status) END
  AND (CAST(:status AS text) IS NULL OR e.status = CAST(:status AS text))
  AND (CAST(:category AS text) IS NULL OR e.category = CAST(:category AS text))
  AND (CAST(:channel AS text) IS NULL OR e.channel = CAST(:channel AS text))
  AND (CAST(:grid AS text) IS NULL OR g.code = CAST(:grid AS text))
  AND (CAST(:community AS text) IS NULL OR e.community_code = CAST(:community AS text))
  AND (CAST(:since AS date) IS NULL
       OR e.reported_at >= CAST(:since AS date)::timestamp AT TIME ZONE 'Asia/Shanghai')
  AND (CAST(:until AS date) IS NULL
       OR e.reported_at < (CAST(:until AS date) + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
  AND gm_in_region(coalesce(e.community_code, e.subdistrict_code, e.region_code), :scope)
ORDER BY coalesce(gm_event_open(e.status) AND e.due_at < now(), false) DESC, e.due_at NULLS LAST,
         e.code
LIMIT :limit OFFSET :offset
