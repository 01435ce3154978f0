-- The lon/lat box (EPSG:4490) of the community outlines, of one community or all, inside
-- region :scope (a region prefix, jurisdiction.scope_prefix; NULL everywhere): the part of
-- a map page's opening box that is read per request (a few hundred outlines at a city, about
-- 1 ms); the grids' part is kept per grid version (map_extent_grids.sql). ST_Extent reads
-- each geometry's stored bounding box only.
SELECT ST_XMin(box.e) AS minx, ST_YMin(box.e) AS miny,
       ST_XMax(box.e) AS maxx, ST_YMax(box.e) AS maxy
FROM (
    SELECT ST_Extent(r.geom) AS e FROM region AS r
    WHERE r.level = 'community'
      AND (CAST(:community_code AS text) IS NULL OR r.code = :community_code)
      AND gm_in_region(r.code, :scope)
) AS box
