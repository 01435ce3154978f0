-- Open events within :radius metres (geodesic, CGCS2000 ellipsoid) of event :code, nearest
-- first, only those inside the caller's region (:scope, gm_in_region) and, with
-- :same_category, only of the event's own category (duplicate hints). EPSG:4490 points.
-- A degree box at least :radius wide on every side first (GiST on event.geom), then the
-- exact geodesic test. The box search stands alone (``near``): the planner then weighs only
-- the GiST index and a scan for each month partition, not every index that the status,
-- category and region tests could use (planning took about twice as long, EXPLAIN on the
-- demo; the same rows). :at, event :code's reported_at when known (an intake), prunes its
-- month partition at planning.
WITH e AS MATERIALIZED (
    SELECT id, category, geom FROM event
    WHERE code = :code
      AND (CAST(:at AS timestamptz) IS NULL OR reported_at = CAST(:at AS timestamptz))
),
near AS MATERIALIZED (
    SELECT o.id, o.code, o.category, o.status, o.priority, o.description, o.reported_at,
           o.due_at, o.reporter_name, o.reporter_phone, o.geom,
           o.community_code, o.subdistrict_code, o.region_code
    FROM e JOIN event o
      ON o.geom && ST_Expand(e.geom, :radius / 110000.0 / cos(radians(ST_Y(e.geom))))
)
SELECT o.code, o.category, o.status, o.priority, o.description, o.reported_at,
       o.due_at, (o.due_at < now()) AS overdue, o.reporter_name, o.reporter_phone,
       ST_Distance(o.geom::geography, e.geom::geography) AS distance_m, o.geom
FROM e JOIN near o
  ON o.id <> e.id AND gm_event_open(o.status)
 AND (NOT CAST(:same_category AS boolean) OR o.category = e.category)
 AND ST_DWithin(o.geom::geography, e.geom::geography, :radius)
WHERE gm_in_region(coalesce(o.community_code, o.subdistrict_code, o.region_code), :scope)
ORDER BY distance_m, o.code
