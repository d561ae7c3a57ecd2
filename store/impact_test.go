package store_test

import (
	"math"
	"testing"
)

// The indicator relations' slope and correlation, from exact sums, are DuckDB's regr_slope and corr
// of the same pairs; and the panel's size band is each municipality's 65+ population of the year
// nearest the range's first (newNation has populations for 2025 and 2026 only: a 2024 range takes
// 2025's).
func TestImpactRelationsMatchDuckDB(t *testing.T) {
	n := newNation(t)
	book := muniBook(2026, 10, `
 {"id": "L", "goal": "A", "group": "i", "name": "linear", "points": 10, "items": [
  {"id": "L-a", "question": "rate", "points": 10, "rule": {"type": "linear", "lower": 0, "upper": 100}}]}`)
	for code, v := range map[string]string{"000011": "10", "000012": "35", "000021": "70", "000022": "95"} {
		n.submit(2026, "municipality", code, map[string]string{"L-a": v})
	}
	n.ministry(2026, "O-x", map[string]float64{"000011": 50.5, "000012": 51.25, "000021": 49, "000022": 60.125})
	n.ministry(2027, "O-x", map[string]float64{"000011": 51, "000012": 53.5, "000021": 48.75, "000022": 63})
	run := n.score(2026, book)
	rels, err := n.st.Impact().IndicatorRelations(n.ctx, "O-x", 2026, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(rels) != 1 || rels[0].IndicatorID != "L" || rels[0].N != 4 || rels[0].Slope == nil || rels[0].Corr == nil {
		t.Fatalf("relations %+v", rels)
	}
	slope := n.value(`WITH d AS (SELECT a.entity_code c, sum(CASE WHEN s.fiscal_year = 2027 THEN a.value_num ELSE -a.value_num END) dy
	  FROM answers a JOIN submissions s ON s.id = a.submission_id WHERE s.kind = 'outcomes' AND s.status = 'current' AND a.item_id = 'O-x' GROUP BY ALL)
	  SELECT regr_slope(CAST(d.dy AS DOUBLE), CAST(sc.points AS DOUBLE)) FROM scores sc JOIN d ON d.c = sc.entity_code WHERE sc.run_id = ?`, run)
	corr := n.value(`WITH d AS (SELECT a.entity_code c, sum(CASE WHEN s.fiscal_year = 2027 THEN a.value_num ELSE -a.value_num END) dy
	  FROM answers a JOIN submissions s ON s.id = a.submission_id WHERE s.kind = 'outcomes' AND s.status = 'current' AND a.item_id = 'O-x' GROUP BY ALL)
	  SELECT corr(CAST(d.dy AS DOUBLE), CAST(sc.points AS DOUBLE)) FROM scores sc JOIN d ON d.c = sc.entity_code WHERE sc.run_id = ?`, run)
	if math.Abs(*rels[0].Slope-slope) > 1e-12 || math.Abs(*rels[0].Corr-corr) > 1e-12 {
		t.Errorf("slope %v corr %v; DuckDB's %v %v", *rels[0].Slope, *rels[0].Corr, slope, corr)
	}
	// Bands: 000011 has 1,000 aged 65+ (<3千), 000021 20,000 (1万～5万).
	bands := n.text(`SELECT string_agg(DISTINCT code || ':' || band, ' ' ORDER BY code || ':' || band) FROM kf_impact_panel('L-a', 'O-x', 2024, 2026, '1') WHERE code IN ('000011', '000021')`)
	if bands != "000011:lt3k 000021:10k-50k" {
		t.Errorf("bands %s", bands)
	}
}
