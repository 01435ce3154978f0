-- The building atoms of a plan's communities (:communities, an array of community codes):
-- each with its current unified grid (NULL when it has none or that grid is not current),
-- that grid's kind/locked/version, and its open events (for "events reassigned").
SELECT b.id AS building_id, b.code, b.households, b.residents, b.community_code, b.compound,
       g.id AS grid_id, g.kind AS grid_kind, COALESCE(g.locked, false) AS grid_locked,
       b.geom
FROM building b
LEFT JOIN grid g ON g.id = b.grid_id AND g.valid_to IS NULL AND g.theme = 'unified'
WHERE b.community_code = ANY(:communities)
ORDER BY b.id
