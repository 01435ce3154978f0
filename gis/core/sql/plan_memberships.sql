-- For each building of :communities and each theme in :themes, the current grid of that theme
-- holding the building's point-on-surface (lowest code when several do). GiST via &&.
SELECT DISTINCT ON (b.id, g.theme) b.id AS building_id, g.theme, g.id AS grid_id
FROM building b
JOIN grid g ON g.valid_to IS NULL AND g.theme = ANY(:themes) AND g.geom && b.geom
    AND ST_Intersects(g.geom, ST_PointOnSurface(b.geom))
WHERE b.community_code = ANY(:communities)
ORDER BY b.id, g.theme, g.code
