-- Buildings of plan :plan in community :community follow the proposed grids' shapes: each goes
-- to the proposed grid of that community holding most of its area (ties: lowest seq).
UPDATE plan_building pb
SET plan_grid_id = pick.id
FROM building b
CROSS JOIN LATERAL (
    SELECT pg.id FROM plan_grid pg
    WHERE pg.plan_id = :plan AND pg.community_code = :community
      AND pg.geom && b.geom AND ST_Intersects(pg.geom, b.geom)
    ORDER BY ST_Area(ST_Intersection(pg.geom, b.geom)) DESC, pg.seq
    LIMIT 1
) pick
WHERE pb.plan_id = :plan AND b.id = pb.building_id AND b.community_code = :community
  AND pb.plan_grid_id IS DISTINCT FROM pick.id
