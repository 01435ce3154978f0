-- households for export; building_code names the building
SELECT h.code, b.code AS building_code, h.unit, h.room, h.head_name, h.phone, h.size
FROM household h JOIN building b ON b.id = h.building_id
ORDER BY h.code
