-- grid workers with their grids as one comma-separated list (primary grid first)
SELECT w.code, w.name, w.role, w.phone, w.duties, w.supervision_phone,
       string_agg(g.code, ',' ORDER BY l.is_primary DESC, g.code) AS grid_codes
FROM grid_worker w
LEFT JOIN grid_worker_grid l ON l.worker_id = w.id
LEFT JOIN grid g ON g.id = l.grid_id
GROUP BY w.id
ORDER BY w.code
