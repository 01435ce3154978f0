-- Households (一户一档) of one building or of the buildings of one current unified grid.
SELECT h.id, h.code, b.code AS building_code, b.address, h.unit, h.room, h.head_name,
       h.phone, h.size,
       (SELECT count(*) FROM resident AS r WHERE r.household_id = h.id)::int AS residents,
       count(*) OVER () AS number_matched
FROM household AS h
JOIN building AS b ON b.id = h.building_id
LEFT JOIN grid AS g ON g.id = b.grid_id
WHERE (CAST(:building_code AS text) IS NULL OR b.code = :building_code)
  AND (CAST(:grid_code AS text) IS NULL OR (g.code = :grid_code AND g.valid_to IS NULL))
ORDER BY b.code, h.unit, h.room, h.code
LIMIT :limit OFFSET :offset
