-- Buildings inside the caller's jurisdiction, one page, with the code of their (unified)
-- grid; bbox uses the GiST index. :scope is the caller's region prefix
-- (jurisdiction.scope_prefix; NULL: everywhere), filtered here so number_matched counts only
-- what the caller may read; a community-scoped page reads ix_building_community_prefix.
SELECT b.id, b.code, b.address, b.compound, b.floors, b.households, b.residents, b.use,
       b.community_code, g.code AS grid_code,
       count(*) OVER () AS number_matched, b.geom
FROM building AS b
LEFT JOIN grid AS g ON g.id = b.grid_id
WHERE (CAST(:code AS text) IS NULL OR b.code = :code)
  AND (CAST(:grid_code AS text) IS NULL OR g.code = :grid_code)
  AND (CAST(:community_code AS text) IS NULL OR b.community_code = :community_code)
  AND gm_in_region(b.community_code, :scope)
  AND (CAST(:minlon AS float8) IS NULL
       OR ST_Intersects(b.geom, ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4490)))
ORDER BY b.code
LIMIT :limit OFFSET :offset
