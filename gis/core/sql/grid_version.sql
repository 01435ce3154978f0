-- The grid table's tile version (migration 0017: changed by every commit that writes grid)
-- and whether this transaction has written a watched table itself (then the number does not
-- name what it sees). One row of one table: what a kept grid extent is checked against.
SELECT current_database() AS database, CAST(v.versions ->> 'grid' AS bigint) AS version,
       coalesce(current_setting('gridmap.tile_dirty', true), '') = 'on' AS dirty
FROM (SELECT 1) AS one LEFT JOIN tile_version AS v ON true
