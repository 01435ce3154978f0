-- Buildings a plan moves: those whose proposed grid's successor (the old grid giving it most
-- households, then most buildings) is not their old grid.
WITH agg AS (
    SELECT pb.plan_grid_id AS pg, b.grid_id AS old,
           sum(b.households) + count(*) * 1e-6 AS h
    FROM plan_building pb JOIN building b ON b.id = pb.building_id
    WHERE pb.plan_id = :plan AND b.grid_id IS NOT NULL
    GROUP BY 1, 2
),
succ AS (SELECT DISTINCT ON (pg) pg, old FROM agg ORDER BY pg, h DESC, old)
SELECT b.id, b.households, b.residents
FROM plan_building pb JOIN building b ON b.id = pb.building_id
LEFT JOIN succ s ON s.pg = pb.plan_grid_id
WHERE pb.plan_id = :plan AND s.old IS DISTINCT FROM b.grid_id
