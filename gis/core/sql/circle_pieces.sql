-- The reached parts of edges, cut with ST_LineSubstring in the metric CRS :srid (fractions
-- there are fractions of metres; in degrees they would not be), one row per piece, tagged
-- with the group (facility) it belongs to.
SELECT p.grp, ST_LineSubstring(ST_Transform(e.geom, :srid), p.a, p.b) AS geom
FROM unnest(CAST(:grp AS int[]), CAST(:edge AS bigint[]), CAST(:a AS float8[]),
            CAST(:b AS float8[])) AS p(grp, edge_id, a, b)
JOIN road_edge e ON e.id = p.edge_id
