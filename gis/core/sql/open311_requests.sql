-- Open311 service requests (events) by ids or filters, newest first; lat/lon EPSG:4490.
-- status is 'open', 'closed' or NULL (both); ids and services are text arrays or NULL (all).
-- :scope is the caller's region prefix (callers.scope_prefix) or NULL (everywhere); as in
-- event_list.sql an event belongs to its community, else its subdistrict, and an unplaced
-- one (neither yet) is outside every scope. total counts every match before paging.
SELECT e.code, e.category, e.status, e.description, e.address, e.reported_at, e.due_at,
       -- greatest: the intake's log row carries the transaction's start, a moment before
       -- reported_at, and an update must not come before the request
       greatest((SELECT max(l.at) FROM event_log l WHERE l.event_id = e.id), e.reported_at)
         AS updated_at,
       ST_Y(e.geom) AS lat, ST_X(e.geom) AS lon, g.code AS grid_code, g.name AS grid_name,
       com.name AS community_name, count(*) OVER () AS total
FROM event e
LEFT JOIN grid g ON g.id = e.grid_id
LEFT JOIN region com ON com.code = e.community_code
WHERE (CAST(:ids AS text[]) IS NULL OR e.code = ANY(CAST(:ids AS text[])))
  AND (CAST(:services AS text[]) IS NULL OR e.category = ANY(CAST(:services AS text[])))
  AND (CAST(:start AS timestamptz) IS NULL OR e.reported_at >= CAST(:start AS timestamptz))
  AND (CAST(:end AS timestamptz) IS NULL OR e.reported_at <= CAST(:end AS timestamptz))
  AND (CAST(:status AS text) IS NULL
       OR (CAST(:status AS text) = 'closed') = (e.status = 'closed'))
  AND gm_in_region(coalesce(e.community_code, e.subdistrict_code, e.region_code), :scope)
ORDER BY e.reported_at DESC, e.code
LIMIT :limit OFFSET :offset
