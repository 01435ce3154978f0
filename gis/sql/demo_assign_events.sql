-- Located demo events (code LIKE :events) to the current unified grid covering them, with its
-- version, community, subdistrict and primary grid worker, in one statement. Events outside
-- every grid keep NULLs; events with no geometry (needs_location) are left alone.
UPDATE event e
SET grid_id = g.id,
    grid_version = g.version,
    community_code = g.community_code,
    subdistrict_code = c.parent_code,
    worker_id = w.worker_id
FROM grid g
JOIN region c ON c.code = g.community_code
LEFT JOIN grid_worker_grid w ON w.grid_id = g.id AND w.is_primary
WHERE e.code LIKE :events
  AND e.geom IS NOT NULL
  AND g.theme = 'unified'
  AND g.valid_to IS NULL
  AND ST_Covers(g.geom, e.geom)
