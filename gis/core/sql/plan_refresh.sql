-- After a manual edit: each proposed grid's households and Polsby-Popper compactness
-- (geodesic area and perimeter) from its buildings and its shape.
UPDATE plan_grid pg
SET households = COALESCE(t.households, 0),
    compactness = round((4 * pi() * ST_Area(pg.geom::geography)
                         / NULLIF(power(ST_Perimeter(pg.geom::geography), 2), 0))::numeric, 4)
FROM plan_grid p2
LEFT JOIN (
    SELECT pb.plan_grid_id, sum(b.households) AS households
    FROM plan_building pb JOIN building b ON b.id = pb.building_id
    WHERE pb.plan_id = :plan GROUP BY pb.plan_grid_id
) t ON t.plan_grid_id = p2.id
WHERE pg.id = p2.id AND pg.plan_id = :plan
