-- 010: 試算 (trial scores) and the files as sent.
--
-- A trial score is what an accepted survey version would score, computed right after its upload by
-- the very statements of a score run (store.Scores.Compute) against every entity's current answers
-- of that moment, inside a transaction that is rolled back: no run, item score or total of it is
-- ever committed. Only the trialled entities' results are kept here, by submission version, apart
-- from score_totals and item_scores, so that nothing that reads score runs (allocation, exports,
-- the pages' official scores) can take a trial for a run.
CREATE TABLE trial_totals (
    submission_id BIGINT NOT NULL,    -- the version trialled
    fiscal_year   INTEGER NOT NULL,
    entity_code   VARCHAR NOT NULL,
    level         VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    as_of         TIMESTAMP NOT NULL, -- the answers read were every entity's current ones at this instant
    total         DECIMAL(9,2) NOT NULL,
    max_total     DECIMAL(9,2) NOT NULL,
    rate          DECIMAL(18,9) NOT NULL,
    national_rank BIGINT NOT NULL,    -- competition rank within the level, as in score_totals
    rank_of       BIGINT NOT NULL     -- entities of the level ranked
);

-- The item points of a trial, with the reason a score run would give.
CREATE TABLE trial_items (
    submission_id BIGINT NOT NULL,
    item_id       VARCHAR NOT NULL,
    points        DECIMAL(9,2) NOT NULL,
    max_points    DECIMAL(9,2) NOT NULL,
    status        VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL
);

-- The bytes of an accepted version as its sender sent them (kept from this migration on), so that
-- an entity can download what it sent.
CREATE TABLE submission_files (
    submission_id BIGINT NOT NULL,
    file_name     VARCHAR NOT NULL,
    data          BLOB NOT NULL
);
