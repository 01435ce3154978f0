-- Ranked building candidates for each normalised address (pg_trgm similarity). The `%`
-- operator (similarity above pg_trgm.similarity_threshold, 0.3 by default) lets the GIN
-- trigram index on building.address find candidates; similarity() ranks them.
-- Answers one row per (query, candidate); points are EPSG:4490 lon/lat inside the building.
SELECT q.ord, c.*
FROM unnest(CAST(:queries AS text[])) WITH ORDINALITY AS q(text, ord)
CROSS JOIN LATERAL (
    SELECT b.id AS building_id, b.code AS building_code, b.address, b.compound,
           similarity(b.address, q.text) AS score,
           ST_X(ST_PointOnSurface(b.geom)) AS lon, ST_Y(ST_PointOnSurface(b.geom)) AS lat,
           g.code AS grid_code, g.name AS grid_name, b.community_code
    FROM building b
    LEFT JOIN grid g ON g.id = b.grid_id
    WHERE b.address % q.text
    ORDER BY score DESC, b.code
    LIMIT :limit
) c
ORDER BY q.ord, c.score DESC, c.building_code
