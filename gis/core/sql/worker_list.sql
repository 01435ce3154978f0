-- Grid workers' public contact (上岗公示), one row per worker and current grid served.
SELECT gw.id, gw.code, gw.name, gw.role, gw.phone, gw.duties, gw.supervision_phone,
       g.code AS grid_code, g.name AS grid_name, g.theme AS grid_theme,
       g.community_code, wg.is_primary,
       count(*) OVER () AS number_matched
FROM grid_worker AS gw
JOIN grid_worker_grid AS wg ON wg.worker_id = gw.id
JOIN grid AS g ON g.id = wg.grid_id AND g.valid_to IS NULL
WHERE (CAST(:grid_code AS text) IS NULL OR g.code = :grid_code)
ORDER BY g.code, wg.is_primary DESC, gw.code
LIMIT :limit OFFSET :offset
