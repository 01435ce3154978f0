-- Facilities (point or polygon), one page; bbox uses the GiST index.
SELECT f.id, f.code, f.name, f.type, f.level, f.capacity, f.opening_hours, f.address,
       f.phone, f.community_code,
       count(*) OVER () AS number_matched, f.geom
FROM facility AS f
WHERE (CAST(:code AS text) IS NULL OR f.code = :code)
  AND (CAST(:type AS text) IS NULL OR f.type = :type)
  AND (CAST(:community_code AS text) IS NULL OR f.community_code = :community_code)
  AND (CAST(:minlon AS float8) IS NULL
       OR f.geom && ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4490))
ORDER BY f.code
LIMIT :limit OFFSET :offset
