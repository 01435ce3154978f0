-- Compounds (小区, building.compound) of :plan whose buildings lie in more than one proposed
-- grid, with the grids (seq), their households and buildings, and how many current unified
-- grids hold them today (split before the plan too when > 1).
SELECT b.community_code, b.compound,
       count(DISTINCT pb.plan_grid_id)::int AS grids,
       array_agg(DISTINCT pg.seq ORDER BY pg.seq) AS seqs,
       sum(b.households)::int AS households, count(*)::int AS buildings,
       count(DISTINCT b.grid_id)::int AS grids_before
FROM plan_building pb
JOIN building b ON b.id = pb.building_id
JOIN plan_grid pg ON pg.id = pb.plan_grid_id
WHERE pb.plan_id = :plan AND COALESCE(b.compound, '') <> ''
GROUP BY b.community_code, b.compound
HAVING count(DISTINCT pb.plan_grid_id) > 1
ORDER BY b.community_code, b.compound
