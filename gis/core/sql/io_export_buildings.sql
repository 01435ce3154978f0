-- buildings for export; grid_code names the building's (unified) grid. :scope the
-- jurisdiction prefix of gm_in_region (NULL: everywhere)
SELECT b.code, b.address, b.compound, b.floors, b.households, b.residents, b.use,
       b.community_code, g.code AS grid_code, b.geom
FROM building b LEFT JOIN grid g ON g.id = b.grid_id
WHERE gm_in_region(b.community_code, :scope)
ORDER BY b.code
