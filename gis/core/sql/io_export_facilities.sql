-- facilities (points or polygons) for export, in the import field names
SELECT code, name, type, level, capacity, opening_hours, address, phone, community_code, geom
FROM facility ORDER BY code
