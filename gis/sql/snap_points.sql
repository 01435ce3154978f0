-- Snap points (lon/lat arrays, EPSG:4490) to the nearest edge of the usable network
-- (component 0): edge, fraction along it and distance, both in the metric CRS :srid.
-- The GiST KNN operator (<->) works in degrees, where a degree of longitude is shorter than
-- one of latitude, so it proposes 8 candidates and the metric distance decides.
SELECT p.i::int AS i, s.edge_id, s.fraction, s.snap_m
FROM unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[])) WITH ORDINALITY AS p(lon, lat, i)
CROSS JOIN LATERAL (
  SELECT c.id AS edge_id,
         ST_LineLocatePoint(c.mgeom, c.mpt) AS fraction,
         ST_Distance(c.mgeom, c.mpt) AS snap_m
  FROM (SELECT e.id, ST_Transform(e.geom, :srid) AS mgeom,
               ST_Transform(ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4490), :srid) AS mpt
        FROM road_edge e
        WHERE e.component = 0
        ORDER BY e.geom <-> ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4490)
        LIMIT 8) c
  ORDER BY ST_Distance(c.mgeom, c.mpt), c.id
  LIMIT 1) s
ORDER BY p.i
