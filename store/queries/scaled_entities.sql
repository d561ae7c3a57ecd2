-- The entities of a scaled nation's entity list (fixtures.WriteScaled), valid from the fiscal year.
-- Args: fiscal year, source, entity list file.
INSERT INTO entities (code, level, prefecture_code, parent_code, name_ja, valid_from_fy, source)
SELECT code, level, prefecture_code, parent_code, name_ja, ?, ?
FROM read_csv(?, header = true, all_varchar = true)
