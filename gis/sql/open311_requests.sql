-- Open311 service requests (events) by ids or filters, newest first; lat/lon EPSG:4490.
SELECT e.code, e.category, e.status, e.description, e.address, e.reported_at, e.due_at,
       coalesce((SELECT max(l.at) FROM event_log l WHERE l.event_id = e.id), e.reported_at)
         AS updated_at,
       ST_Y(e.geom) AS lat, ST_X(e.geom) AS lon, g.name AS grid_name,
       com.name AS community_name
FROM event e
LEFT JOIN grid g ON g.id = e.grid_id
LEFT JOIN region com ON com.code = e.community_code
WHERE (CAST(:ids AS text[]) IS NULL OR e.code = ANY(CAST(:ids AS text[])))
  AND (CAST(:service AS text) IS NULL OR e.category = CAST(:service AS text))
  AND (CAST(:start AS timestamptz) IS NULL OR e.reported_at >= CAST(:start AS timestamptz))
  AND (CAST(:end AS timestamptz) IS NULL OR e.reported_at <= CAST(:end AS timestamptz))
  AND (CAST(:status AS text) IS NULL
       OR (CAST(:status AS text) = 'closed') = (e.status = 'closed'))
ORDER BY e.reported_at DESC, e.code
LIMIT :limit
