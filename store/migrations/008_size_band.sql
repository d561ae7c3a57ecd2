-- 008: the size band (規模区分: 第1号被保険者数, the 65+ population, of the fiscal year) written once,
-- for the peers a rank item partitions by and the band means of the review and feedback workbooks.
-- A population on an edge belongs to the upper band: <3,000; 3,000–<10,000; 10,000–<50,000;
-- 50,000–<100,000; ≥100,000. An entity without a population for the year is in no band: 'unknown'.
CREATE MACRO kf_size_band(pop) AS CASE WHEN pop IS NULL THEN 'unknown'
    WHEN pop < 3000 THEN 'lt3k' WHEN pop < 10000 THEN '3k-10k' WHEN pop < 50000 THEN '10k-50k'
    WHEN pop < 100000 THEN '50k-100k' ELSE 'ge100k' END;

-- The band's name as the workbooks print it.
CREATE MACRO kf_size_band_label(band) AS CASE band
    WHEN 'lt3k' THEN '3千人未満'
    WHEN '3k-10k' THEN '3千～1万人'
    WHEN '10k-50k' THEN '1万～5万人'
    WHEN '50k-100k' THEN '5万～10万人'
    WHEN 'ge100k' THEN '10万人以上'
    ELSE '不明' END;
