-- The tiles z/x/y of the range :x0..:x1 × :y0..:y1 at zoom :z that hold data of the chosen
-- layers: the tile envelope (with the MVT buffer as margin, as tile_<layer>.sql) transformed
-- to 4490 meets a geometry's box, so each EXISTS is one GiST probe; empty tiles are skipped.
WITH tiles AS (
    SELECT t.x, u.y,
           ST_Transform(ST_TileEnvelope(:z, t.x, u.y, margin => :margin), 4490) AS env
    FROM generate_series(CAST(:x0 AS int), CAST(:x1 AS int)) AS t(x)
    CROSS JOIN generate_series(CAST(:y0 AS int), CAST(:y1 AS int)) AS u(y)
)
SELECT tiles.x, tiles.y FROM tiles
WHERE (CAST(:grids AS boolean) AND EXISTS (
           SELECT 1 FROM grid AS g
           WHERE g.geom && tiles.env AND g.valid_to IS NULL AND g.theme = :theme))
   OR (CAST(:buildings AS boolean) AND :z >= :building_min_zoom AND EXISTS (
           SELECT 1 FROM building AS b WHERE b.geom && tiles.env))
   OR (CAST(:facilities AS boolean) AND EXISTS (
           SELECT 1 FROM facility AS f WHERE f.geom && tiles.env))
ORDER BY tiles.x, tiles.y
