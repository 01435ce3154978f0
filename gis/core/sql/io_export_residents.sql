-- residents for export; categories as one comma-separated list; inside :scope by the
-- building's community (gm_in_region prefix, NULL: everywhere)
SELECT r.code, h.code AS household_code, b.code AS building_code, r.name, r.id_number,
       r.phone, r.gender, r.birth_date, r.relation,
       array_to_string(r.categories, ',') AS categories
FROM resident r
LEFT JOIN household h ON h.id = r.household_id
JOIN building b ON b.id = r.building_id
WHERE gm_in_region(b.community_code, :scope)
ORDER BY r.code
