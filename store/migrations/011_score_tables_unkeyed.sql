-- 011: the per-run score tables without PRIMARY KEYs.
--
-- indicator_grant_scores, goal_scores, grant_scores and score_totals had a PRIMARY KEY each: DuckDB
-- keeps such a key as an ART index in memory, which it cannot spill to disk, over every run's rows,
-- and checks and extends it for every row a score run inserts. At 100 Japans a run inserts tens of
-- millions of rows there, and the indexes alone outgrew the memory a run may take. The keys are
-- unique by construction: a run writes each table once per level from a GROUP BY over its keys
-- (score_indicator_grants.sql: one row per row of scores × grant of the indicator; score_goals.sql,
-- score_grants.sql and score_totals.sql group by them) for the peers of the level, and an amended
-- run updates rows in place. The oracle test (store TestOracleAgreesWithSQL) checks that a run has
-- one row per key, over every kind of item, in full and sliced runs, and that an amended run has
-- the lines of a full one.
-- item_scores and scores never had a key. The rows are copied as they are, in the order stored.
CREATE TABLE indicator_grant_scores_011 (
    run_id       BIGINT NOT NULL,
    entity_code  VARCHAR NOT NULL,
    indicator_id VARCHAR NOT NULL,
    goal_id      VARCHAR NOT NULL,
    grant_id     VARCHAR NOT NULL,
    points       DECIMAL(9,2) NOT NULL,   -- indicator points × grant points ÷ indicator points, to 0.01
    max_points   DECIMAL(9,2) NOT NULL
);
INSERT INTO indicator_grant_scores_011 SELECT run_id, entity_code, indicator_id, goal_id, grant_id, points, max_points FROM indicator_grant_scores;
DROP TABLE indicator_grant_scores;
ALTER TABLE indicator_grant_scores_011 RENAME TO indicator_grant_scores;

CREATE TABLE goal_scores_011 (
    run_id      BIGINT NOT NULL,
    entity_code VARCHAR NOT NULL,
    goal_id     VARCHAR NOT NULL,
    grant_id    VARCHAR NOT NULL,
    points      DECIMAL(9,2) NOT NULL,   -- in the grant's points
    max_points  DECIMAL(9,2) NOT NULL
);
INSERT INTO goal_scores_011 SELECT run_id, entity_code, goal_id, grant_id, points, max_points FROM goal_scores;
DROP TABLE goal_scores;
ALTER TABLE goal_scores_011 RENAME TO goal_scores;

CREATE TABLE grant_scores_011 (
    run_id      BIGINT NOT NULL,
    entity_code VARCHAR NOT NULL,
    grant_id    VARCHAR NOT NULL,
    points      DECIMAL(9,2) NOT NULL,
    max_points  DECIMAL(9,2) NOT NULL
);
INSERT INTO grant_scores_011 SELECT run_id, entity_code, grant_id, points, max_points FROM grant_scores;
DROP TABLE grant_scores;
ALTER TABLE grant_scores_011 RENAME TO grant_scores;

CREATE TABLE score_totals_011 (
    run_id        BIGINT NOT NULL,
    entity_code   VARCHAR NOT NULL,
    level         VARCHAR NOT NULL,
    total         DECIMAL(9,2) NOT NULL,   -- 総合計 = sum of the grant totals
    max_total     DECIMAL(9,2) NOT NULL,   -- full score less the items 対象外 for this entity
    rate          DECIMAL(18,9) NOT NULL,  -- 得点率 = total / max_total, exact to 9 places (007)
    national_rank BIGINT NOT NULL,         -- competition ranking on total within the level (ties share a rank)
    submitted     BOOLEAN NOT NULL         -- a current survey submission exists
);
INSERT INTO score_totals_011 SELECT run_id, entity_code, level, total, max_total, rate, national_rank, submitted FROM score_totals;
DROP TABLE score_totals;
ALTER TABLE score_totals_011 RENAME TO score_totals;
