-- What gis.tiles.cache needs to know whether a built tile may be served: the database, the
-- numbers migration 0015's triggers set at every commit that writes a watched table
-- ({"grid": n, "building": n, ...}), and whether this transaction itself has written one (not
-- yet committed, so in no cached tile).
SELECT current_database() AS database, v.versions,
       coalesce(current_setting('gridmap.tile_dirty', true), '') = 'on' AS dirty
FROM tile_version v
