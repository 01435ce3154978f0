-- What gis.tiles.cache needs to know whether a built tile may be served: the database, the
-- numbers migration 0015's triggers set at every commit that writes a watched table
-- ({"grid": n, "building": n, ...}), and whether this transaction itself has written one (not
-- yet committed, so in no cached tile).
-- It also turns parallel query off for the rest of this transaction (the tile's own): the
-- planner prices ST_AsMVTGeom high and plans a Gather for a tile of a few hundred rows, and
-- starting the worker took longer than the whole scan (an event tile: 64-84 ms with the
-- Gather, 16 ms serial, on a busy machine).
SELECT current_database() AS database, v.versions,
       coalesce(current_setting('gridmap.tile_dirty', true), '') = 'on' AS dirty,
       set_config('max_parallel_workers_per_gather', '0', true) AS serial
FROM tile_version v
