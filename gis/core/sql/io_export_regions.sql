-- regions for export, in the import field names (geometry EPSG:4490); inside :scope
-- (gm_in_region prefix, NULL: everywhere)
SELECT code, name, level, parent_code, geom FROM region
WHERE gm_in_region(code, :scope)
ORDER BY code
