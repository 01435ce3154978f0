-- Open events within :radius metres (geodesic, CGCS2000 ellipsoid) of event :code, nearest
-- first, only those inside the caller's region (:scope, gm_in_region) and, with
-- :same_category, only of the event's own category (duplicate hints). EPSG:4490 points.
-- A degree box at least :radius wide on every side first (GiST on event.geom), then the
-- exact geodesic test.
SELECT o.code, o.category, o.status, o.priority, o.description, o.reported_at,
       o.due_at, (o.due_at < now()) AS overdue, o.reporter_name, o.reporter_phone,
       ST_Distance(o.geom::geography, e.geom::geography) AS distance_m, o.geom
FROM event e JOIN event o
  ON o.id <> e.id AND gm_event_open(o.status)
 AND (NOT CAST(:same_category AS boolean) OR o.category = e.category)
 AND o.geom && ST_Expand(e.geom, :radius / 110000.0 / cos(radians(ST_Y(e.geom))))
 AND ST_DWithin(o.geom::geography, e.geom::geography, :radius)
WHERE e.code = :code
  AND gm_in_region(coalesce(o.community_code, o.subdistrict_code, o.region_code), :scope)
ORDER BY distance_m, o.code
