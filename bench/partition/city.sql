-- A quick city-sized set made from the demo district (run on a database holding `gridmap demo`,
-- e.g. `psql -f bench/partition/city.sql "$(gridmap db url | sed 's/+psycopg2//')"`):
-- 80 copies of the demo's grids (63 unified each: 5,040 unified grids), 119 copies of its
-- buildings (~300k), 50 copies of its 20,000 events (1M) spread over the twelve months before
-- now. Copy k is shifted k % 10 * 0.04 degrees east and k / 10 * 0.03 north (EPSG:4490),
-- in the demo's communities. A stand-in until `gridmap demo --scale city` (s-city) exists;
-- not a plausible city, only its row counts and spread.
SET maintenance_work_mem = '512MB';
CREATE TEMP TABLE copies AS
SELECT k, (k % 10) * 0.04 AS dx, (k / 10) * 0.03 AS dy FROM generate_series(1, 80) k;

CREATE TEMP TABLE grid_map AS
WITH made AS (
    INSERT INTO grid (code, name, theme, kind, community_code, locked, valid_from, valid_to,
                      version, geom)
    SELECT g.code || '-' || c.k, g.name || c.k, g.theme, g.kind, g.community_code, g.locked,
           g.valid_from, g.valid_to, g.version, ST_Translate(g.geom, c.dx, c.dy)
    FROM grid g CROSS JOIN copies c
    WHERE g.code NOT LIKE '%-%'
    RETURNING id, code
)
SELECT m.id AS new_id, g.id AS old_id, split_part(m.code, '-', 2)::int AS k
FROM made m JOIN grid g ON g.code = split_part(m.code, '-', 1);

INSERT INTO building (code, address, compound, floors, households, residents, use,
                      community_code, grid_id, geom)
SELECT b.code || '-' || i, b.address || i, b.compound, b.floors, b.households, b.residents,
       b.use, b.community_code, gm.new_id, ST_Translate(b.geom, c.dx, c.dy)
FROM generate_series(1, 118) n(i)
JOIN copies c ON c.k = (i - 1) % 80 + 1
CROSS JOIN building b
LEFT JOIN grid_map gm ON gm.old_id = b.grid_id AND gm.k = c.k
WHERE b.code NOT LIKE '%-%';

INSERT INTO event (code, category, description, channel, status, priority, address,
                   reporter_name, reporter_phone, source_crs, grid_id, grid_version,
                   community_code, subdistrict_code, worker_id, escalation_level,
                   satisfaction, external_id, reported_at, due_at, closed_at, geom, region_code)
SELECT e.code || '-' || j, e.category, e.description, e.channel, e.status, e.priority,
       e.address, e.reporter_name, e.reporter_phone, e.source_crs, gm.new_id, e.grid_version,
       e.community_code, e.subdistrict_code, e.worker_id, e.escalation_level, e.satisfaction,
       e.external_id, e.reported_at + s.shift, e.due_at + s.shift, e.closed_at + s.shift,
       ST_Translate(e.geom, c.dx, c.dy), e.region_code
FROM generate_series(1, 49) n(j)
CROSS JOIN LATERAL (SELECT CASE WHEN j % 2 = 0 THEN interval '1 month'
                                ELSE interval '-5 months' END AS shift) s
JOIN copies c ON c.k = j * 80 / 50 + 1
CROSS JOIN event e
LEFT JOIN grid_map gm ON gm.old_id = e.grid_id AND gm.k = c.k
WHERE e.code NOT LIKE '%-%';
ANALYZE;
