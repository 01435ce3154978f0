-- How many current grids of one theme lie in a box (of one community or all), counted up to
-- :cap only: /map decides whether to send its grids as GeoJSON or draw them from the tiles
-- without reading every grid of a city. The bbox test uses the GiST index.
SELECT count(*) AS n
FROM (
    SELECT 1
    FROM grid AS g
    WHERE g.valid_to IS NULL
      AND g.theme = :theme
      AND (CAST(:community_code AS text) IS NULL OR g.community_code = :community_code)
      AND (CAST(:minlon AS float8) IS NULL
           OR ST_Intersects(g.geom, ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4490)))
    LIMIT :cap
) AS capped
