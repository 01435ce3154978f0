-- facilities (points or polygons) for export, in the import field names; inside :scope
-- (gm_in_region prefix, NULL: everywhere)
SELECT code, name, type, level, capacity, opening_hours, address, phone, community_code, geom
FROM facility
WHERE gm_in_region(community_code, :scope)
ORDER BY code
