-- Residents of one building or of the buildings of one current unified grid.
SELECT r.id, r.code, h.code AS household_code, b.code AS building_code, b.address,
       r.name, r.id_number, r.phone, r.gender,
       to_char(r.birth_date, 'YYYY-MM-DD') AS birth_date,
       CAST(extract(year FROM r.birth_date) AS int) AS birth_year,
       r.relation, r.categories,
       count(*) OVER () AS number_matched
FROM resident AS r
JOIN building AS b ON b.id = r.building_id
LEFT JOIN household AS h ON h.id = r.household_id
LEFT JOIN grid AS g ON g.id = b.grid_id
WHERE (CAST(:building_code AS text) IS NULL OR b.code = :building_code)
  AND (CAST(:grid_code AS text) IS NULL OR (g.code = :grid_code AND g.valid_to IS NULL))
ORDER BY b.code, h.code, r.code
LIMIT :limit OFFSET :offset
