-- buildings for export; grid_code names the building's (unified) grid
SELECT b.code, b.address, b.compound, b.floors, b.households, b.residents, b.use,
       b.community_code, g.code AS grid_code, b.geom
FROM building b LEFT JOIN grid g ON g.id = b.grid_id
ORDER BY b.code
