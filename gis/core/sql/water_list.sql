-- Water areas (rivers, lakes), optionally those meeting a lon/lat bbox (GiST via &&).
SELECT w.id, w.name, count(*) OVER () AS number_matched, w.geom
FROM water_area AS w
WHERE (CAST(:minlon AS float8) IS NULL
       OR ST_Intersects(w.geom, ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4490)))
ORDER BY w.id
LIMIT :limit OFFSET :offset
