-- Admin units (district, subdistrict, community), one page; bbox uses the GiST index.
SELECT r.id, r.code, r.name, r.level, r.parent_code,
       round((ST_Area(r.geom::geography) / 1e6)::numeric, 4)::float8 AS area_km2,
       count(*) OVER () AS number_matched, r.geom
FROM region AS r
WHERE (CAST(:code AS text) IS NULL OR r.code = :code)
  AND (CAST(:level AS text) IS NULL OR r.level = :level)
  AND (CAST(:parent_code AS text) IS NULL OR r.parent_code = :parent_code)
  AND (CAST(:minlon AS float8) IS NULL
       OR ST_Intersects(r.geom, ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4490)))
ORDER BY r.code
LIMIT :limit OFFSET :offset
