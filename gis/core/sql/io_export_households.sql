-- households for export; building_code names the building; inside :scope by the building's
-- community (gm_in_region prefix, NULL: everywhere)
SELECT h.code, b.code AS building_code, h.unit, h.room, h.head_name, h.phone, h.size
FROM household h JOIN building b ON b.id = h.building_id
WHERE gm_in_region(b.community_code, :scope)
ORDER BY h.code
