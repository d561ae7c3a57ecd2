-- Sums item points per indicator (or takes the best alternative), capped at the
-- indicator's points and, unless the rulebook allows the indicator to be negative, floored at 0 (a
-- penalty takes away what the indicator earned, not more); the maximum leaves out the items 対象外
-- for the entity. Args: run id, rulebook hash (items), rulebook hash (indicators), run id.
-- kf_agg lists the entities aggregated: every peer of the level, or when amending a run those
-- whose item rows changed.
INSERT INTO scores
SELECT run_id, entity_code, indicator_id, goal_id, pts, mx,
  CASE WHEN all_na THEN 'na'
       WHEN all_blank THEN 'unanswered'
       WHEN pts >= mx AND mx > 0 THEN 'met'
       WHEN pts > 0 THEN 'partial'
       WHEN any_not_met THEN 'not_met'
       ELSE 'not_done' END,
  CASE WHEN n_items = 1 THEN single_reason || CASE WHEN floored THEN '（指標の下限0点 → 0点）' ELSE '' END
       ELSE parts || ' → ' || kf_pts(pts) || '点／' || kf_pts(mx) || '点'
            || CASE WHEN combine = 'max' THEN '（最も高いものを採用）' WHEN raw_sum > ind_points THEN '（上限' || kf_pts(ind_points) || '点）' ELSE '' END
            || CASE WHEN floored THEN '（下限0点）' ELSE '' END
  END
FROM (
  SELECT *, CASE WHEN capped_pts < 0 AND NOT allow_negative THEN CAST(0 AS DECIMAL(9,2)) ELSE capped_pts END AS pts,
    capped_pts < 0 AND NOT allow_negative AS floored
  FROM (
    SELECT CAST(? AS BIGINT) AS run_id, s.entity_code, ri.indicator_id, ind.goal_id, ind.combine, ind.points AS ind_points, coalesce(ind.allow_negative, FALSE) AS allow_negative,
      CAST(CASE WHEN ind.combine = 'max' THEN max(s.points) ELSE LEAST(sum(s.points), ind.points) END AS DECIMAL(9,2)) AS capped_pts,
      CAST(CASE WHEN ind.combine = 'max' THEN max(s.max_points) ELSE LEAST(sum(s.max_points), ind.points) END AS DECIMAL(9,2)) AS mx,
      sum(s.points) AS raw_sum,
      bool_and(s.status = 'na') AS all_na,
      bool_and(s.status IN ('unanswered', 'na')) AS all_blank,
      bool_or(s.status = 'not_met') AS any_not_met,
      count(*) AS n_items,
      first(ri.branch || ' ' || s.reason) AS single_reason,
      -- The items' parts in rulebook order: a list sorted by ord (unique in an indicator), not an
      -- ordered string_agg, whose per-group sort costs more and is held in memory.
      array_to_string(list_transform(list_sort(list({'o': ri.ord, 's': ri.branch || CASE WHEN s.status = 'na' THEN '対象外' ELSE kf_pts(s.points) || '点' END})), x -> x.s), '・') AS parts
    FROM item_scores s
    JOIN rulebook_items ri ON ri.rulebook_hash = ? AND ri.item_id = s.item_id
    JOIN rulebook_indicators ind ON ind.rulebook_hash = ? AND ind.indicator_id = ri.indicator_id
    WHERE s.run_id = ? AND s.entity_code IN (SELECT entity_code FROM kf_agg)
    GROUP BY s.entity_code, ri.indicator_id, ind.goal_id, ind.points, ind.combine, ind.allow_negative
  )
)
