-- regions for export, in the import field names (geometry EPSG:4490)
SELECT code, name, level, parent_code, geom FROM region ORDER BY code
