-- The lon/lat box (EPSG:4490) of the current grids of one theme, of one community or all,
-- inside region :scope (a region prefix, jurisdiction.scope_prefix; NULL everywhere), with
-- the grid table's tile version (migration 0017) read in the same snapshot, so the box can
-- be kept in the process under that version (gis.grids.registry.map_extent). ST_Extent reads
-- each geometry's stored bounding box only. ``dirty``: this transaction has written a watched
-- table, so the version does not name what it sees.
SELECT current_database() AS database, CAST(v.versions ->> 'grid' AS bigint) AS version,
       coalesce(current_setting('gridmap.tile_dirty', true), '') = 'on' AS dirty,
       ST_XMin(box.e) AS minx, ST_YMin(box.e) AS miny,
       ST_XMax(box.e) AS maxx, ST_YMax(box.e) AS maxy
FROM (
    SELECT ST_Extent(g.geom) AS e FROM grid AS g
    WHERE g.valid_to IS NULL AND g.theme = :theme
      AND (CAST(:community_code AS text) IS NULL OR g.community_code = :community_code)
      AND gm_in_region(g.community_code, :scope)
) AS box
LEFT JOIN tile_version AS v ON true
