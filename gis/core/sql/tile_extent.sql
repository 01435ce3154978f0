-- The lon/lat extent (EPSG:4490) of the chosen tile layers' data, for a tile archive:
-- current grids of one theme, buildings, facilities (the rows tile_<layer>.sql draws).
SELECT ST_XMin(e) AS minx, ST_YMin(e) AS miny, ST_XMax(e) AS maxx, ST_YMax(e) AS maxy
FROM (
    SELECT ST_Extent(geom) AS e FROM (
        SELECT g.geom FROM grid AS g
        WHERE CAST(:grids AS boolean) AND g.valid_to IS NULL AND g.theme = :theme
        UNION ALL
        SELECT b.geom FROM building AS b WHERE CAST(:buildings AS boolean)
        UNION ALL
        SELECT f.geom FROM facility AS f WHERE CAST(:facilities AS boolean)
    ) AS chosen
) AS extent
