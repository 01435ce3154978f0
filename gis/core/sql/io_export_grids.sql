-- current grids (optionally of one theme) for export, in the import field names; inside
-- :scope (gm_in_region prefix, NULL: everywhere)
SELECT code, name, theme, kind, community_code, locked, geom
FROM grid
WHERE valid_to IS NULL AND (CAST(:theme AS text) IS NULL OR theme = CAST(:theme AS text))
  AND gm_in_region(community_code, :scope)
ORDER BY theme, code
