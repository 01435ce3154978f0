-- The spatial (lon/lat, EPSG:4490) and temporal extent of every OGC API collection in one
-- statement; keyed collections (buildings, events) only inside :scope (the caller's region
-- prefix; NULL: everywhere). ST_Extent reads each table once (demo: ~15 ms in all).
SELECT x.collection, ST_XMin(x.box) AS minx, ST_YMin(x.box) AS miny,
       ST_XMax(x.box) AS maxx, ST_YMax(x.box) AS maxy, x.t_start, x.t_end
FROM (
SELECT 'grids' AS collection, ST_Extent(geom)::box2d AS box,
       min(valid_from) AS t_start, CAST(NULL AS timestamptz) AS t_end
FROM grid WHERE theme = 'unified'
UNION ALL
SELECT 'regions', ST_Extent(geom)::box2d, NULL, NULL FROM region
UNION ALL
SELECT 'facilities', ST_Extent(geom)::box2d, NULL, NULL FROM facility
UNION ALL
SELECT 'facility_areas', ST_Extent(geom)::box2d, NULL, NULL FROM facility
WHERE ST_Dimension(geom) = 2
UNION ALL
SELECT 'buildings', ST_Extent(geom)::box2d, NULL, NULL FROM building
WHERE gm_in_region(community_code, :scope)
UNION ALL
SELECT 'events', ST_Extent(geom)::box2d, min(reported_at), max(reported_at) FROM event
WHERE gm_event_open(status) AND gm_in_region(coalesce(community_code, subdistrict_code, region_code),
                                            :scope)
) AS x
