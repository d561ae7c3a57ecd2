-- 002: reference data updates: union membership and the history of replaced population figures.

-- Members of a 広域連合 / 一部事務組合 (an entity of level 'union'), per fiscal year.
CREATE TABLE union_members (
    union_code    VARCHAR NOT NULL,
    member_code   VARCHAR NOT NULL,
    valid_from_fy INTEGER NOT NULL,
    source        VARCHAR NOT NULL,
    PRIMARY KEY (union_code, member_code, valid_from_fy)
);

-- Population figures replaced by an update keep their old values here.
CREATE TABLE population_history (
    code              VARCHAR NOT NULL,
    fiscal_year       INTEGER NOT NULL,
    population_total  BIGINT,
    population_65plus BIGINT NOT NULL,
    reference_date    DATE NOT NULL,
    source            VARCHAR NOT NULL,
    replaced_at       TIMESTAMP NOT NULL,
    replaced_by       VARCHAR NOT NULL    -- the file that replaced them
);

-- 所要見込額 (what a municipality needs) per grant: 確定額 = min(案, 所要見込額) when the cap is on.
CREATE TABLE needs (
    fiscal_year INTEGER NOT NULL,
    code        VARCHAR NOT NULL,
    grant_id    VARCHAR NOT NULL,
    needs_yen   BIGINT NOT NULL,
    source      VARCHAR NOT NULL,
    PRIMARY KEY (fiscal_year, code, grant_id)
);

-- Prefectural reviewers' verdicts on municipalities' submissions, read back from review workbooks
-- (or given in the service). Only one per year and municipality is current.
CREATE TABLE reviews (
    fiscal_year INTEGER NOT NULL,
    entity_code VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,   -- 未確認 | 確認済 | 差戻し
    comment     VARCHAR NOT NULL,
    file_name   VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    current     BOOLEAN NOT NULL
);
