-- Imported shapes that reach outside their bound: the boundary polygon of their own unit
-- (:units, a community code; when that region exists) else of the key's region :region.
-- Measured in the metric CRS :metric_srid (a CGCS2000 Gauss-Kruger zone); the bound is
-- widened by :tolerance_m metres for digitising noise. Shapes come as EPSG:4490 WKB with
-- their row number (:ords). One row per shape reaching out (bound NULL: no boundary known).
WITH shape AS (
    SELECT s.ord, s.unit, ST_Transform(ST_GeomFromWKB(s.wkb, 4490), :metric_srid) AS g
    FROM unnest(CAST(:ords AS int[]), CAST(:wkbs AS bytea[]), CAST(:units AS text[]))
         AS s(ord, wkb, unit)
), bound AS MATERIALIZED (
    SELECT r.code, ST_Buffer(ST_Transform(r.geom, :metric_srid), :tolerance_m) AS g
    FROM region r
    WHERE r.code = CAST(:region AS text) OR r.code IN (SELECT unit FROM shape)
), judged AS (
    SELECT shape.ord, shape.g, b.code, b.g AS bound
    FROM shape
    LEFT JOIN bound b ON b.code = coalesce(
        (SELECT own.code FROM bound own WHERE own.code = shape.unit), CAST(:region AS text))
), outside AS (
    SELECT ord, code, ST_Dimension(g) AS dim,
           CASE WHEN bound IS NULL THEN g ELSE ST_Difference(g, bound) END AS part
    FROM judged
    WHERE bound IS NULL OR NOT ST_Covers(bound, g)
)
SELECT ord, code, dim, ST_Area(part) AS outside_m2, ST_Length(part) AS outside_m
FROM outside
WHERE code IS NULL OR (NOT ST_IsEmpty(part) AND (dim < 2 OR ST_Area(part) > :min_area_m2))
ORDER BY ord
