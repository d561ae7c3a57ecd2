-- 001: the initial schema. Codes are text (zero-padded), points are exact decimals, yen are BIGINT.

-- Reporting bodies and their validity: municipalities, prefectures, later unions and care centres.
CREATE TABLE entities (
    code            VARCHAR NOT NULL,   -- 全国地方公共団体コード (6 digits) or a synthetic code
    level           VARCHAR NOT NULL,   -- municipality | prefecture | union | centre
    prefecture_code VARCHAR NOT NULL,   -- 01..47
    parent_code     VARCHAR,            -- municipality of a centre, union of a member
    name_ja         VARCHAR NOT NULL,
    name_kana       VARCHAR,
    name_en         VARCHAR,
    type_ja         VARCHAR,            -- 市 / 町 / 村 / 特別区 / 都道府県 ...
    valid_from_fy   INTEGER NOT NULL,   -- first fiscal year the row is valid for
    valid_to_fy     INTEGER,            -- last fiscal year, NULL while valid
    source          VARCHAR NOT NULL,
    PRIMARY KEY (code, valid_from_fy)
);

-- Population per entity per fiscal year, with where the figure comes from.
CREATE TABLE populations (
    code              VARCHAR NOT NULL,
    fiscal_year       INTEGER NOT NULL,
    population_total  BIGINT,
    population_40_64  BIGINT,
    population_65plus BIGINT NOT NULL,  -- proxy for 第1号被保険者数
    population_75plus BIGINT,
    reference_date    DATE NOT NULL,
    source            VARCHAR NOT NULL,
    PRIMARY KEY (code, fiscal_year)
);

-- Reference files loaded, with their hashes, so a run can name them.
CREATE TABLE reference_files (
    name        VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,
    fiscal_year INTEGER NOT NULL,
    loaded_at   TIMESTAMP NOT NULL,
    rows        INTEGER NOT NULL,
    PRIMARY KEY (name, fiscal_year)
);

-- Every rulebook a run used, with its full text.
CREATE TABLE rulebooks (
    hash        VARCHAR PRIMARY KEY,
    fiscal_year INTEGER NOT NULL,
    level       VARCHAR NOT NULL,
    version     VARCHAR NOT NULL,
    title       VARCHAR NOT NULL,
    file_name   VARCHAR NOT NULL,
    content     VARCHAR NOT NULL,
    loaded_at   TIMESTAMP NOT NULL
);
CREATE TABLE rulebook_goals (
    rulebook_hash VARCHAR NOT NULL,
    goal_id       VARCHAR NOT NULL,
    grant_id      VARCHAR NOT NULL,
    ord           INTEGER NOT NULL,
    label         VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    points        DECIMAL(9,2) NOT NULL  -- the goal's points in this grant
);
CREATE TABLE rulebook_indicators (
    rulebook_hash VARCHAR NOT NULL,
    indicator_id  VARCHAR NOT NULL,
    goal_id       VARCHAR NOT NULL,
    group_id      VARCHAR NOT NULL,
    ord           INTEGER NOT NULL,
    no            VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    points        DECIMAL(9,2) NOT NULL,
    combine       VARCHAR NOT NULL     -- sum | max
);
-- The points of each indicator in each grant it counts in.
CREATE TABLE rulebook_indicator_grants (
    rulebook_hash VARCHAR NOT NULL,
    indicator_id  VARCHAR NOT NULL,
    grant_id      VARCHAR NOT NULL,
    points        DECIMAL(9,2) NOT NULL
);
CREATE TABLE rulebook_items (
    rulebook_hash VARCHAR NOT NULL,
    item_id       VARCHAR NOT NULL,
    indicator_id  VARCHAR NOT NULL,
    ord           INTEGER NOT NULL,
    branch        VARCHAR NOT NULL,
    question      VARCHAR NOT NULL,
    rule_type     VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    points        DECIMAL(9,2) NOT NULL
);

CREATE SEQUENCE submission_id_seq START 1;
-- One row per accepted file. Versions of an entity's submission for a year are numbered from 1;
-- only one is current, the earlier ones stay as superseded.
CREATE TABLE submissions (
    id            BIGINT PRIMARY KEY,
    fiscal_year   INTEGER NOT NULL,
    entity_code   VARCHAR NOT NULL,   -- the reporting body, or 'MHLW' for ministry-supplied values
    level         VARCHAR NOT NULL,   -- municipality | prefecture | centre | ministry
    kind          VARCHAR NOT NULL,   -- survey | outcomes
    file_name     VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    size_bytes    BIGINT NOT NULL,
    received_at   TIMESTAMP NOT NULL,
    version       INTEGER NOT NULL,
    status        VARCHAR NOT NULL,   -- current | superseded
    rulebook_hash VARCHAR,
    answer_count  INTEGER NOT NULL,
    filled_on     DATE                -- 記入日 written in the workbook, if any
);

-- One row per answered (or blank) sub-item of a submission.
CREATE TABLE answers (
    submission_id BIGINT NOT NULL,
    entity_code   VARCHAR NOT NULL,
    item_id       VARCHAR NOT NULL,
    value_text    VARCHAR,            -- normalised text as entered, NULL when blank
    value_num     DOUBLE,             -- yes=1/no=0 or the number, NULL when blank
    cell          VARCHAR NOT NULL    -- where it was read, e.g. 回答!F12
);

CREATE SEQUENCE run_id_seq START 1;
-- Every score, allocation and export run, with what went into it.
CREATE TABLE runs (
    id             BIGINT PRIMARY KEY,
    kind           VARCHAR NOT NULL,  -- score | allocate | export | ingest
    fiscal_year    INTEGER NOT NULL,
    started_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP,
    status         VARCHAR NOT NULL,  -- running | succeeded | failed
    parameters     VARCHAR NOT NULL,  -- JSON
    manifest       VARCHAR,           -- JSON: inputs' hashes, rulebook, code and DuckDB versions
    summary        VARCHAR,
    error          VARCHAR
);

-- The submission versions a run read (its inputs), with their hashes.
CREATE TABLE run_inputs (
    run_id        BIGINT NOT NULL,
    submission_id BIGINT NOT NULL,
    entity_code   VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    sha256        VARCHAR NOT NULL,
    PRIMARY KEY (run_id, submission_id)
);

-- Item-level points of a score run.
CREATE TABLE item_scores (
    run_id      BIGINT NOT NULL,
    entity_code VARCHAR NOT NULL,
    item_id     VARCHAR NOT NULL,
    points      DECIMAL(9,2) NOT NULL,
    max_points  DECIMAL(9,2) NOT NULL,   -- 0 when 対象外
    status      VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    rank_no     BIGINT,
    rank_of     BIGINT
);

-- Indicator-level points of a score run (per entity × indicator × run), with a readable reason.
CREATE TABLE scores (
    run_id       BIGINT NOT NULL,
    entity_code  VARCHAR NOT NULL,
    indicator_id VARCHAR NOT NULL,
    goal_id      VARCHAR NOT NULL,
    points       DECIMAL(9,2) NOT NULL,
    max_points   DECIMAL(9,2) NOT NULL,
    status       VARCHAR NOT NULL,
    reason       VARCHAR NOT NULL
);

-- Goal subtotals (目標ごとの小計) of a score run.
CREATE TABLE goal_scores (
    run_id      BIGINT NOT NULL,
    entity_code VARCHAR NOT NULL,
    goal_id     VARCHAR NOT NULL,
    grant_id    VARCHAR NOT NULL,
    points      DECIMAL(9,2) NOT NULL,   -- in the grant's points
    max_points  DECIMAL(9,2) NOT NULL,
    PRIMARY KEY (run_id, entity_code, goal_id, grant_id)
);

-- Grant totals (推進合計, 支援合計 …) of a score run; a goal counted in two grants counts in both.
CREATE TABLE grant_scores (
    run_id      BIGINT NOT NULL,
    entity_code VARCHAR NOT NULL,
    grant_id    VARCHAR NOT NULL,
    points      DECIMAL(9,2) NOT NULL,
    max_points  DECIMAL(9,2) NOT NULL,
    PRIMARY KEY (run_id, entity_code, grant_id)
);

-- 総合計, 得点率 and national rank per entity of a score run.
CREATE TABLE score_totals (
    run_id        BIGINT NOT NULL,
    entity_code   VARCHAR NOT NULL,
    level         VARCHAR NOT NULL,
    total         DECIMAL(9,2) NOT NULL,  -- 総合計 = sum of the grant totals
    max_total     DECIMAL(9,2) NOT NULL,  -- full score less the items 対象外 for this entity
    rate          DOUBLE NOT NULL,        -- 得点率 = total / max_total
    national_rank BIGINT NOT NULL,        -- competition ranking on total within the level (ties share a rank)
    submitted     BOOLEAN NOT NULL,       -- a current survey submission exists
    PRIMARY KEY (run_id, entity_code)
);

-- Numbers rendered for people: 4.00 -> 4, 4.50 -> 4.5, 12.0 -> 12.
CREATE MACRO kf_num(x) AS CASE WHEN contains(CAST(x AS VARCHAR), '.')
    THEN regexp_replace(CAST(x AS VARCHAR), '\.?0+$', '') ELSE CAST(x AS VARCHAR) END;
CREATE MACRO kf_pts(x) AS kf_num(x);

-- Amounts per entity × pool × allocation run. pool_id is the grant id for a grant's municipal pool,
-- "pref:<grant>" for its prefectural pool, or an extra pool's id.
CREATE TABLE allocations (
    run_id       BIGINT NOT NULL,
    entity_code  VARCHAR NOT NULL,
    level        VARCHAR NOT NULL,      -- municipality | prefecture
    pool_id      VARCHAR NOT NULL,
    grant_id     VARCHAR NOT NULL,      -- the grant the money comes from
    score        DECIMAL(9,2) NOT NULL, -- the score the pool is shared by
    weight       BIGINT NOT NULL,       -- 第1号被保険者数 (proxy) used
    proposal_yen BIGINT NOT NULL,       -- 交付見込額（案）: before the needs cap
    cap_yen      BIGINT,                -- 所要見込額, when known and applied
    amount_yen   BIGINT NOT NULL,       -- 確定額
    floor_yen    BIGINT NOT NULL,       -- before the largest-remainder units
    extra_units  BIGINT NOT NULL,       -- units given by largest remainder
    PRIMARY KEY (run_id, entity_code, pool_id)
);
