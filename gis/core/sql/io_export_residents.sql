-- residents for export; categories as one comma-separated list
SELECT r.code, h.code AS household_code, b.code AS building_code, r.name, r.id_number,
       r.phone, r.gender, r.birth_date, r.relation,
       array_to_string(r.categories, ',') AS categories
FROM resident r
LEFT JOIN household h ON h.id = r.household_id
JOIN building b ON b.id = r.building_id
ORDER BY r.code
