-- The lon/lat box (EPSG:4490) a map page opens on: the current grids of one theme and the
-- community outlines, of one community or all, inside region :scope (a region prefix,
-- jurisdiction.scope_prefix; NULL everywhere). ST_Extent reads each geometry's stored
-- bounding box only, so the page's HTML costs the same whatever the grids' vertex counts.
SELECT ST_XMin(box.e) AS minx, ST_YMin(box.e) AS miny,
       ST_XMax(box.e) AS maxx, ST_YMax(box.e) AS maxy
FROM (
    SELECT ST_Extent(parts.geom) AS e
    FROM (
        SELECT g.geom FROM grid AS g
        WHERE g.valid_to IS NULL AND g.theme = :theme
          AND (CAST(:community_code AS text) IS NULL OR g.community_code = :community_code)
          AND gm_in_region(g.community_code, :scope)
        UNION ALL
        SELECT r.geom FROM region AS r
        WHERE r.level = 'community'
          AND (CAST(:community_code AS text) IS NULL OR r.code = :community_code)
          AND gm_in_region(r.code, :scope)
    ) AS parts
) AS box
