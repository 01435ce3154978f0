-- Ranked building candidates for each normalised address (pg_trgm similarity), found by
-- street address or by compound key and ranked by one score, the best of the similarities.
-- The `%` operator (similarity above pg_trgm.similarity_threshold, 0.3 by default) lets the
-- GIN trigram indexes find candidates (a BitmapOr of ix_building_address_trgm and
-- ix_building_compound_key_trgm); similarity() ranks them.
-- The compound key is the compound without a trailing 小区 plus the building number ("3栋")
-- ending the address, NULL without a compound. Its expression must stay character for
-- character the one indexed by migration 0003 (and gis/models/buildings.py), or the planner
-- can only seq-scan; the lateral subquery `k` is flattened, so the WHERE sees the expression.
-- :compounds is the compound form without leading admin names, :written the same with them
-- (NULL when equal) for names that begin with one (海州区第二人民医院).
-- `exact`: the normalised form equals the address or the compound key (11栋 is not 111栋,
-- though their trigrams are alike).
-- :scope is the caller's region prefix (jurisdiction.scope_prefix; NULL: everywhere): only
-- buildings inside it are candidates, so a scoped key never learns another community's
-- addresses and the ranking is among what it may read.
-- Answers one row per (query, candidate); points are EPSG:4490 lon/lat inside the building;
-- the grid worker's public contact comes along (the dispatcher reads it to the caller).
SELECT q.ord, c.*, w.name AS worker_name, w.phone AS worker_phone,
       w.supervision_phone AS worker_supervision_phone
FROM unnest(CAST(:streets AS text[]), CAST(:compounds AS text[]), CAST(:written AS text[]))
     WITH ORDINALITY AS q(street, compound, written, ord)
CROSS JOIN LATERAL (
    SELECT b.id AS building_id, b.code AS building_code, b.address, b.compound,
           greatest(m.by_address, m.by_compound) AS score,
           CASE WHEN m.by_compound > m.by_address THEN 'compound' ELSE 'address' END AS matched,
           (b.address = q.street OR k.compound_key IN (q.compound, q.written)) IS TRUE AS exact,
           ST_X(ST_PointOnSurface(b.geom)) AS lon, ST_Y(ST_PointOnSurface(b.geom)) AS lat,
           g.id AS grid_id, g.code AS grid_code, g.name AS grid_name, b.community_code
    FROM building b
    CROSS JOIN LATERAL (
        SELECT regexp_replace(NULLIF(b.compound, ''), '小区$', '')
               || coalesce(substring(b.address FROM '[0-9]+栋$'), '') AS compound_key
    ) k
    CROSS JOIN LATERAL (
        SELECT similarity(b.address, q.street) AS by_address,
               coalesce(greatest(similarity(k.compound_key, q.compound),
                                 similarity(k.compound_key, q.written)), 0) AS by_compound
    ) m
    LEFT JOIN grid g ON g.id = b.grid_id
    WHERE (b.address % q.street OR k.compound_key % q.compound OR k.compound_key % q.written)
      AND gm_in_region(b.community_code, :scope)
    ORDER BY score DESC, exact DESC, b.code
    LIMIT :limit
) c
-- the grid's primary worker's public contact (上岗公示, gm_primary_worker: migration 0018), looked up
-- for the few candidates kept, not for every building the trigram search touched
LEFT JOIN LATERAL gm_primary_worker(c.grid_id) w ON true
ORDER BY q.ord, c.score DESC, c.exact DESC, c.building_code
