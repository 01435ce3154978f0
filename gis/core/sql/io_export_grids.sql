-- current grids (optionally of one theme) for export, in the import field names
SELECT code, name, theme, kind, community_code, locked, geom
FROM grid
WHERE valid_to IS NULL AND (CAST(:theme AS text) IS NULL OR theme = CAST(:theme AS text))
ORDER BY theme, code
