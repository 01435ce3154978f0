-- What gis.grids.locate_index needs to know whether its copy of the grids may answer: the
-- database, the number migration 0013's triggers set at every commit that changes grids,
-- regions or workers, and whether this transaction itself has changed them (not yet
-- committed, so not in any copy).
SELECT current_database() AS database, v.version,
       coalesce(current_setting('gridmap.locate_dirty', true), '') = 'on' AS dirty
FROM locate_version v
