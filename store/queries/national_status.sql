-- 提出状況 of every prefecture valid in fiscal year $1: its municipalities (all, with a current
-- survey, and of those confirmed, returned or not yet reviewed, and those without one), its care
-- centres (all, with a current survey) and whether it sent its own survey; by prefectural code.
-- A verdict counts (確認済, 差戻し) only when it was given on the current version (or on a version
-- not known: recorded before versions were kept) — as on the prefecture's own page: a version sent
-- after a 確認済 is 未確認 again.
WITH ents AS (
    SELECT code, level, prefecture_code, name_ja FROM entities
    WHERE valid_from_fy <= $1 AND (valid_to_fy IS NULL OR valid_to_fy >= $1)
), subs AS (
    SELECT entity_code, max(version) AS version FROM submissions
    WHERE fiscal_year = $1 AND status = 'current' AND kind = 'survey' GROUP BY entity_code
), rev AS (
    SELECT r.entity_code, r.status FROM (
        SELECT entity_code, any_value(status) AS status, max(version) AS version
        FROM reviews WHERE fiscal_year = $1 AND current GROUP BY entity_code) r
    JOIN subs s ON s.entity_code = r.entity_code
    WHERE coalesce(r.version, 0) = 0 OR r.version >= s.version
), m AS (
    SELECT e.prefecture_code AS pc, count(*) AS total, count(s.entity_code) AS submitted,
           count(s.entity_code) FILTER (WHERE r.status = '確認済') AS confirmed,
           count(s.entity_code) FILTER (WHERE r.status = '差戻し') AS returned,
           count(s.entity_code) FILTER (WHERE r.status IS NULL OR r.status NOT IN ('確認済', '差戻し')) AS unreviewed
    FROM ents e LEFT JOIN subs s ON s.entity_code = e.code LEFT JOIN rev r ON r.entity_code = e.code
    WHERE e.level = 'municipality' GROUP BY e.prefecture_code
), c AS (
    SELECT e.prefecture_code AS pc, count(*) AS total, count(s.entity_code) AS submitted
    FROM ents e LEFT JOIN subs s ON s.entity_code = e.code
    WHERE e.level = 'centre' GROUP BY e.prefecture_code
)
SELECT p.code, p.name_ja,
       coalesce(m.total, 0), coalesce(m.submitted, 0), coalesce(m.confirmed, 0), coalesce(m.returned, 0),
       coalesce(m.unreviewed, 0), coalesce(m.total - m.submitted, 0),
       coalesce(c.total, 0), coalesce(c.submitted, 0),
       EXISTS (SELECT 1 FROM subs s WHERE s.entity_code = p.code)
FROM ents p LEFT JOIN m ON m.pc = p.prefecture_code LEFT JOIN c ON c.pc = p.prefecture_code
WHERE p.level = 'prefecture'
ORDER BY p.code
