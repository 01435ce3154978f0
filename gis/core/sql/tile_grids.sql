-- Current grids of one theme as the MVT layer "grids" for Web Mercator tile z/x/y.
-- The tile envelope (with the buffer) is transformed to 4490 for the && filter so the GiST
-- index on grid.geom is used; only the rows in the tile are transformed to 3857.
-- Households and residents (public aggregates; the choropleth key) are summed over the
-- grid's buildings, gm_grid_buildings (migration 0007), as in grid_list.sql.
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS env,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4490) AS env4490
),
features AS (
    SELECT ST_AsMVTGeom(ST_Transform(g.geom, 3857), bounds.env, :extent, :buffer, true) AS geom,
           g.code, g.name, g.theme, g.kind, g.community_code,
           COALESCE(bl.households, 0)::int AS households,
           COALESCE(bl.residents, 0)::int AS residents
    FROM grid AS g
    CROSS JOIN bounds
    LEFT JOIN LATERAL (
        SELECT sum(b.households) AS households, sum(b.residents) AS residents
        FROM gm_grid_buildings(g.id, g.theme, g.geom) AS b
    ) AS bl ON true
    WHERE g.valid_to IS NULL
      AND g.theme = :theme
      AND g.geom && bounds.env4490
)
-- no "WHERE geom IS NOT NULL": ST_AsMVT skips rows whose geometry is NULL, and the filter
-- would be pushed into the scan and clip every geometry twice
SELECT ST_AsMVT(features.*, 'grids', :extent, 'geom') FROM features
