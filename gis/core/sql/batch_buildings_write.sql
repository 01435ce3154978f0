-- Write buildings' grids picked by gis/batch (temporary table batch_pick: building id, grid
-- id or -1 for none); residents and households follow through building_id.
UPDATE building b
SET grid_id = NULLIF(p.grid_id, -1)
FROM batch_pick p
WHERE b.id = p.id AND b.grid_id IS DISTINCT FROM NULLIF(p.grid_id, -1)
