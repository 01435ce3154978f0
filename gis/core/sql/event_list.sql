-- One page of events (EPSG:4490 points; null for events still without a location), with
-- grid, community and worker names; number_matched counts all rows before paging.
-- :overdue true keeps only open events past due_at; :open only open ones (未办结), :not_closed
-- only those not yet closed (未结案: resolved and verified too, migration 0011).
SELECT e.id, e.code, e.category, e.description, e.channel, e.status, e.priority,
       e.address, e.reporter_name, e.reporter_phone, e.source_crs,
       g.code AS grid_code, g.name AS grid_name, e.grid_version,
       e.community_code, com.name AS community_name, e.subdistrict_code, e.region_code,
       w.name AS worker_name, w.phone AS worker_phone,
       e.escalation_level, e.satisfaction, e.external_id,
       e.reported_at, e.due_at, e.closed_at, orig.code AS duplicate_of,
       (gm_event_open(e.status) AND e.due_at < now()) AS overdue,
       count(*) OVER () AS number_matched,
       e.geom
FROM event e
LEFT JOIN grid g ON g.id = e.grid_id
LEFT JOIN region com ON com.code = e.community_code
LEFT JOIN grid_worker w ON w.id = e.worker_id
-- the original's code from the id registry: one probe, not one per month partition (0015)
LEFT JOIN event_registry orig ON orig.id = e.duplicate_of
WHERE (CAST(:code AS text) IS NULL OR e.code = CAST(:code AS text))
  -- :at, the event's reported_at when the caller knows it (an intake's answer): a constant
  -- the planner prunes the month partitions with, planning one instead of all of them
  AND (CAST(:at AS timestamptz) IS NULL OR e.reported_at = CAST(:at AS timestamptz))
  AND (CAST(:status AS text) IS NULL OR e.status = CAST(:status AS text))
  AND (CAST(:category AS text) IS NULL OR e.category = CAST(:category AS text))
  AND (CAST(:grid AS text) IS NULL OR g.code = CAST(:grid AS text))
  AND (CAST(:community AS text) IS NULL OR e.community_code = CAST(:community AS text))
  AND (NOT CAST(:open AS boolean) OR gm_event_open(e.status))
  AND (NOT CAST(:not_closed AS boolean) OR gm_event_not_closed(e.status))
  AND (NOT CAST(:overdue AS boolean) OR (gm_event_open(e.status) AND e.due_at < now()))
  -- jurisdiction: a unit code under the caller's region prefix (an unplaced event's unit is
  -- the region it was recorded in, region_code; NULL when recorded without a region)
  AND gm_in_region(coalesce(e.community_code, e.subdistrict_code, e.region_code), :scope)
  AND (CAST(:minlon AS float8) IS NULL
       OR ST_Intersects(e.geom, ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4490)))
ORDER BY e.reported_at DESC, e.id DESC
LIMIT :limit OFFSET :offset
