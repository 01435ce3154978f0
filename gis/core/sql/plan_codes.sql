-- Codes for the new grids of plan :plan: community code + a 3-digit sequence continuing after
-- the highest sequence that community has ever used (history rows included, so a code is
-- never reused), numbered in reading order: rows :row_m metres high from the community's
-- north edge southwards, west to east within a row (by each grid's point-on-surface;
-- 111,320 m per degree of latitude).
WITH new AS (
    SELECT pg.id AS plan_grid_id, pg.community_code, pg.seq,
           floor((ST_YMax(r.geom) - ST_Y(ST_PointOnSurface(pg.geom))) * 111320 / :row_m) AS band,
           ST_X(ST_PointOnSurface(pg.geom)) AS x, r.name AS community_name
    FROM plan_grid pg JOIN region r ON r.code = pg.community_code
    WHERE pg.plan_id = :plan AND pg.source_grid_id IS NULL
),
base AS (
    SELECT c.community_code,
           COALESCE(max(substring(g.code FROM 13)::int), 0) AS last
    FROM (SELECT DISTINCT community_code FROM new) c
    LEFT JOIN grid g ON g.theme = 'unified' AND g.community_code = c.community_code
        AND g.code ~ ('^' || c.community_code || '[0-9]{3}$')
    GROUP BY c.community_code
)
SELECT n.plan_grid_id,
       n.community_code || lpad((b.last + row_number() OVER w)::text, 3, '0') AS code,
       n.community_name || '第' || (b.last + row_number() OVER w) || '网格' AS name
FROM new n JOIN base b USING (community_code)
WINDOW w AS (PARTITION BY n.community_code ORDER BY n.band, n.x, n.seq)
ORDER BY 2
