-- the walking network's edges as lines for export
SELECT name, kind, geom FROM road_edge ORDER BY id
