-- How many buildings lie in a box (of one community or all), counted up to :cap only: a page
-- decides whether to send its buildings or draw them from the tiles without reading (and
-- sorting) every building of a city. The bbox test uses the GiST index.
SELECT count(*) AS n
FROM (
    SELECT 1
    FROM building AS b
    WHERE (CAST(:community_code AS text) IS NULL OR b.community_code = :community_code)
      AND (CAST(:minlon AS float8) IS NULL
           OR ST_Intersects(b.geom, ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4490)))
    LIMIT :cap
) AS capped
