-- 012: indicators a municipality's users bring for its community diagnosis (地域の指標: 高齢者の独居率,
-- 所得段階別の割合, JAGES-style survey rates), read from CSV files by header (loaders/local.go), one
-- value per fiscal year, municipality and indicator, with its reference date and source as
-- population figures have; the file is recorded in reference_files. A later file's value of the
-- same year, municipality and indicator replaces the earlier one.
CREATE TABLE local_indicators (
    fiscal_year INTEGER NOT NULL,
    code        VARCHAR NOT NULL,
    indicator   VARCHAR NOT NULL,
    unit        VARCHAR NOT NULL,
    value       DECIMAL(18,6) NOT NULL,
    as_of       DATE NOT NULL,
    source      VARCHAR NOT NULL,
    file_name   VARCHAR NOT NULL,
    PRIMARY KEY (fiscal_year, code, indicator)
);
