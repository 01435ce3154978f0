-- Facilities (point or polygon), one page; bbox uses the GiST index. :shape NULL gives
-- geometries as stored, 'point' every facility as a point (a polygon one by its point on
-- surface), 'area' the polygon facilities only (GIS clients want one geometry type a layer).
SELECT f.id, f.code, f.name, f.type, f.level, f.capacity, f.opening_hours, f.address,
       f.phone, f.community_code,
       count(*) OVER () AS number_matched,
       CASE WHEN CAST(:shape AS text) = 'point' AND ST_Dimension(f.geom) > 0
            THEN ST_PointOnSurface(f.geom) ELSE f.geom END AS geom
FROM facility AS f
WHERE (CAST(:code AS text) IS NULL OR f.code = :code)
  AND (CAST(:type AS text) IS NULL OR f.type = :type)
  AND (CAST(:community_code AS text) IS NULL OR f.community_code = :community_code)
  AND (CAST(:shape AS text) IS DISTINCT FROM 'area' OR ST_Dimension(f.geom) = 2)
  AND (CAST(:minlon AS float8) IS NULL
       OR ST_Intersects(f.geom, ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4490)))
ORDER BY f.code
LIMIT :limit OFFSET :offset
