-- grid workers with their grids as one comma-separated list (primary grid first); a worker
-- with a grid inside :scope (gm_in_region prefix, NULL: everywhere, workers without grids too)
SELECT w.code, w.name, w.role, w.phone, w.duties, w.supervision_phone,
       string_agg(g.code, ',' ORDER BY l.is_primary DESC, g.code) AS grid_codes
FROM grid_worker w
LEFT JOIN grid_worker_grid l ON l.worker_id = w.id
LEFT JOIN grid g ON g.id = l.grid_id
GROUP BY w.id
HAVING bool_or(gm_in_region(g.community_code, :scope))
ORDER BY w.code
