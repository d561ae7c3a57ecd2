package store_test

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"testing"

	"github.com/kofukin/kofukin/store"
)

// equityNation is a store with hand-made runs: municipalities (code, prefecture, 65+, total
// population), a score run per year with each municipality's 総合計 of 800, and an allocation run
// (pools of yen per municipality) in the years that have one.
type equityMuni struct {
	code, pref string
	n65, total int64
}

func equityStore(t *testing.T, munis []equityMuni, totals map[int]map[string]int64, yen map[int]map[string][]int64) (*store.Store, context.Context) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	db := store.DB(st)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"01", "02"} {
		exec(`INSERT INTO entities (code, level, prefecture_code, name_ja, valid_from_fy, source) VALUES (?, 'prefecture', ?, ?, 2018, 't')`, "P"+p, p, "県"+p)
	}
	for _, m := range munis {
		exec(`INSERT INTO entities (code, level, prefecture_code, name_ja, valid_from_fy, source) VALUES (?, 'municipality', ?, ?, 2018, 't')`, m.code, m.pref, "町"+m.code)
		for fy := range totals {
			exec(`INSERT INTO populations (code, fiscal_year, population_total, population_65plus, reference_date, source) VALUES (?, ?, ?, ?, DATE '2023-01-01', 't')`, m.code, fy, m.total, m.n65)
		}
	}
	id := int64(0)
	for fy := 2023; fy <= 2026; fy++ {
		ts, ok := totals[fy]
		if !ok {
			continue
		}
		id++
		score := id
		exec(`INSERT INTO runs (id, kind, fiscal_year, started_at, status, parameters) VALUES (?, 'score', ?, now(), 'succeeded', '{}')`, score, fy)
		for code, total := range ts {
			exec(`INSERT INTO score_totals (run_id, entity_code, level, total, max_total, rate, national_rank, submitted) VALUES (?, ?, 'municipality', ?, 800, kf_div9(?, 800), 0, true)`, score, code, total, total)
		}
		// A later failed score run is never read.
		id++
		exec(`INSERT INTO runs (id, kind, fiscal_year, started_at, status, parameters) VALUES (?, 'score', ?, now(), 'failed', '{}')`, id, fy)
		if ys, ok := yen[fy]; ok {
			id++
			exec(`INSERT INTO runs (id, kind, fiscal_year, started_at, status, parameters, manifest) VALUES (?, 'allocate', ?, now(), 'succeeded', '{}', ?)`, id, fy, fmt.Sprintf(`{"score_run_id": %d}`, score))
			for _, m := range munis {
				for i, y := range ys[m.code] {
					exec(`INSERT INTO allocations (run_id, entity_code, level, pool_id, grant_id, score, weight, proposal_yen, amount_yen, floor_yen, extra_units) VALUES (?, ?, 'municipality', ?, 'g', 0, ?, ?, ?, 0, 0)`,
						id, m.code, fmt.Sprint("pool", i), m.n65, y, y)
				}
			}
		}
	}
	return st, ctx
}

// The five municipalities of the hand-computed case. 高齢化率 = 65+ ÷ total:
//
//	010001 pref 01  65+   1,000 / 2,500   = 0.4   <3k        quintile 5
//	010002 pref 01  65+   2,000 / 10,000  = 0.2   <3k        quintile 1
//	010003 pref 01  65+   5,000 / 20,000  = 0.25  3k–10k     quintile 2
//	020001 pref 02  65+ 120,000 / 400,000 = 0.3   ≥100k      quintile 3 (ties 020002: by code)
//	020002 pref 02  65+  60,000 / 200,000 = 0.3   50k–100k   quintile 4
var fiveMunis = []equityMuni{
	{"010001", "01", 1000, 2500}, {"010002", "01", 2000, 10000}, {"010003", "01", 5000, 20000},
	{"020001", "02", 120000, 400000}, {"020002", "02", 60000, 200000},
}

func TestEquityFiveMunicipalities(t *testing.T) {
	st, ctx := equityStore(t, fiveMunis,
		map[int]map[string]int64{
			// FY2025 得点率 0.2, 0.4, 0.5, 0.7, 0.65 (no allocation).
			2025: {"010001": 160, "010002": 320, "010003": 400, "020001": 560, "020002": 520},
			// FY2026 得点率 0.1 and four 0.6: mean 0.5, population SD √((0.16 + 4·0.01)/5) = 0.2,
			// mean − 2·SD = 0.1 exactly: 010001 sits on the line and is NOT below it (the edge).
			2026: {"010001": 80, "010002": 480, "010003": 480, "020001": 480, "020002": 480},
		},
		map[int]map[string][]int64{2026: {
			"010001": {20000, 10000}, // two pools: 30,000 yen, 30 per 65+
			"010002": {100000},       // 50
			"010003": {240000},       // 48
			"020001": {5000000},      // 41.666666… → 41.666667
			"020002": {3000000},      // 50
		}})
	eq, err := st.Analyst().Equity(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(eq.Years) != "[2025 2026]" {
		t.Fatalf("years %v", eq.Years)
	}
	if len(eq.Local) != 0 {
		t.Errorf("no local indicators, yet %d local rows", len(eq.Local))
	}
	byCode := map[string]store.EquityMunicipality{}
	for _, m := range eq.Municipal {
		if m.FiscalYear == 2026 {
			byCode[m.Code] = m
		}
		if m.Low {
			t.Errorf("FY%d %s is low (rate %s): with 5 municipalities nobody can be below mean − 2·SD", m.FiscalYear, m.Code, m.Rate)
		}
	}
	for code, w := range map[string]struct {
		band, aging string
		q           int
		ypp         string
	}{
		"010001": {"lt3k", "0.400000000", 5, "30.000000"}, "010002": {"lt3k", "0.200000000", 1, "50.000000"},
		"010003": {"3k-10k", "0.250000000", 2, "48.000000"}, "020001": {"ge100k", "0.300000000", 3, "41.666667"},
		"020002": {"50k-100k", "0.300000000", 4, "50.000000"},
	} {
		m := byCode[code]
		if m.Band != w.band || m.Aging != w.aging || m.AgingQuintile != w.q || m.YenPer65 != w.ypp {
			t.Errorf("%s: band %s 高齢化率 %s quintile %d yen/65+ %s, want %+v", code, m.Band, m.Aging, m.AgingQuintile, m.YenPer65, w)
		}
	}
	if m := byCode["010001"]; m.LowPrev == nil || *m.LowPrev || m.Persistent() {
		t.Errorf("010001 FY2026: low last year %v", m.LowPrev)
	}
	group := func(fy int, dim, key string) store.EquityGroup {
		for _, g := range eq.Groups {
			if g.FiscalYear == fy && g.Dim == dim && g.Key == key {
				return g
			}
		}
		t.Fatalf("no group FY%d %s %s", fy, dim, key)
		return store.EquityGroup{}
	}
	for _, c := range []struct {
		fy                      int
		dim, key                string
		n                       int
		mean, wmean, mypp, pypp string
	}{
		// Nation FY2026: mean (0.1 + 4·0.6)/5 = 0.5; weighted (0.1·1,000 + 0.6·187,000)/188,000 =
		// 112,300/188,000 = 0.5973404255… → 0.597340426; yen per 65+ mean (30 + 50 + 48 +
		// 41.666667 + 50)/5 = 43.9333334 → 43.933333 (of the rounded values); pooled 8,370,000 /
		// 188,000 = 44.5212765… → 44.521277.
		{2026, "nation", "", 5, "0.500000000", "0.597340426", "43.933333", "44.521277"},
		// <3k: (0.1 + 0.6)/2 = 0.35; weighted (100 + 1,200)/3,000 = 0.4333333333 → 0.433333333;
		// yen (30 + 50)/2 = 40; pooled 130,000/3,000 = 43.333333.
		{2026, "band", "lt3k", 2, "0.350000000", "0.433333333", "40.000000", "43.333333"},
		{2026, "band", "ge100k", 1, "0.600000000", "0.600000000", "41.666667", "41.666667"},
		// Quintile 5 is 010001 alone.
		{2026, "quintile", "5", 1, "0.100000000", "0.100000000", "30.000000", "30.000000"},
		// Prefecture 01: (0.1 + 0.6 + 0.6)/3 = 0.4333333333 → 0.433333333; weighted (100 + 1,200 +
		// 3,000)/8,000 = 0.5375; yen (30 + 50 + 48)/3 = 42.666667; pooled 370,000/8,000 = 46.25.
		{2026, "prefecture", "01", 3, "0.433333333", "0.537500000", "42.666667", "46.250000"},
		// FY2025 nation: (0.2 + 0.4 + 0.5 + 0.7 + 0.65)/5 = 0.49; no allocation: no yen.
		{2025, "nation", "", 5, "0.490000000", "", "", ""},
	} {
		g := group(c.fy, c.dim, c.key)
		wmean := g.WeightedRate
		if c.fy == 2025 {
			wmean = ""
		}
		if g.N != c.n || g.MeanRate != c.mean || wmean != c.wmean || g.MeanYenPer65 != c.mypp || g.PooledYen != c.pypp {
			t.Errorf("FY%d %s %s: n %d mean %s weighted %s yen mean %s pooled %s, want %+v", c.fy, c.dim, c.key, g.N, g.MeanRate, g.WeightedRate, g.MeanYenPer65, g.PooledYen, c)
		}
	}
	if g := group(2026, "nation", ""); g.SDRate < 0.2-1e-12 || g.SDRate > 0.2+1e-12 {
		t.Errorf("SD %v, want 0.2", g.SDRate)
	}
	// The gap, smallest (<3k) − largest (≥100k): FY2025 mean 得点率 (0.2 + 0.4)/2 − 0.7 = −0.4;
	// FY2026 0.35 − 0.6 = −0.25, a change of +0.15; yen per 65+ (pooled) FY2026 43.333333 −
	// 41.666667 = 1.666666 (no yen in FY2025: no change).
	if len(eq.Gaps) != 2 {
		t.Fatalf("gaps %+v", eq.Gaps)
	}
	if g := eq.Gaps[0]; g.GapRate != "-0.400000000" || g.GapRateChange != "" || g.GapYen != "" {
		t.Errorf("FY2025 gap %+v", g)
	}
	if g := eq.Gaps[1]; g.GapRate != "-0.250000000" || g.GapRateChange != "0.150000000" || g.GapYen != "1.666666" || g.GapYenChange != "" {
		t.Errorf("FY2026 gap %+v", g)
	}
	// The concentration index, by its definition on shares (not the SQL's integer form): ranked by
	// 高齢化率 ascending (010002, 010003, 020001, 020002, 010001), C = 1 − Σ (Xᵢ − Xᵢ₋₁)(Yᵢ + Yᵢ₋₁).
	// By hand: N = 2,000·100,000 + 5,000·440,000 + 120,000·5,680,000 + 60,000·13,680,000 +
	// 1,000·16,710,000 = 1,521,510,000,000; P·M = 188,000·8,370,000 = 1,573,560,000,000;
	// C = 52,050,000,000 / 1,573,560,000,000 = 0.0330778… (yen leans a little to the more aged).
	order := []struct{ p, y int64 }{{2000, 100000}, {5000, 240000}, {120000, 5000000}, {60000, 3000000}, {1000, 30000}}
	P, M := big.NewRat(188000, 1), big.NewRat(8370000, 1)
	sum := new(big.Rat)
	x0, y0 := new(big.Rat), new(big.Rat)
	cp, cy := int64(0), int64(0)
	for _, o := range order {
		cp += o.p
		cy += o.y
		x1 := new(big.Rat).Quo(big.NewRat(cp, 1), P)
		y1 := new(big.Rat).Quo(big.NewRat(cy, 1), M)
		term := new(big.Rat).Mul(new(big.Rat).Sub(x1, x0), new(big.Rat).Add(y1, y0))
		sum.Add(sum, term)
		x0, y0 = x1, y1
	}
	want := new(big.Rat).Sub(big.NewRat(1, 1), sum)
	if want.Cmp(big.NewRat(52050000000, 1573560000000)) != 0 {
		t.Fatalf("the test's own arithmetic: %s", want.RatString())
	}
	if len(eq.Index) != 1 || eq.Index[0].FiscalYear != 2026 || eq.Index[0].Index != want.FloatString(9) || eq.Index[0].Index != "0.033077862" {
		t.Errorf("index %+v, want %s", eq.Index, want.FloatString(9))
	}
	if len(eq.Curve) != 5 || eq.Curve[0].Code != "010002" || eq.Curve[4].Code != "010001" || eq.Curve[2].CumYen != 5340000 || eq.Curve[4].TotalAge65Plus != 188000 {
		t.Errorf("curve %+v", eq.Curve)
	}
	// 「その他の都道府県」 for prefecture 01 is prefecture 02 alone: FY2026 (0.6 + 0.6)/2, pooled
	// 8,000,000/180,000 = 44.444444.
	others, err := st.Analyst().EquityOthers(ctx, 0, "01")
	if err != nil {
		t.Fatal(err)
	}
	if len(others) != 2 || others[1].N != 2 || others[1].MeanRate != "0.600000000" || others[1].PooledYen != "44.444444" || others[1].Label != "その他の都道府県" {
		t.Errorf("others %+v", others)
	}
	// The analysts' Parquet file of the view: exact decimals, one row per municipality and year.
	dir := t.TempDir()
	files, err := st.Analyst().WriteParquet(ctx, dir, "t_", 3, 5, 2026)
	if err != nil {
		t.Fatal(err)
	}
	var rows, persistent int
	var rateType string
	if err := store.DB(st).QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE persistent_low), any_value(typeof(rate)) FROM read_parquet(?)`, files[len(files)-1]).Scan(&rows, &persistent, &rateType); err != nil {
		t.Fatal(err)
	}
	if rows != 10 || persistent != 0 || rateType != "DECIMAL(18,9)" {
		t.Errorf("equity.parquet: %d rows, %d persistent, rate %s", rows, persistent, rateType)
	}
	// As of the FY2025 score run (id 1), FY2026 is not there yet.
	old, err := st.Analyst().Equity(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(old.Years) != "[2025]" || len(old.Index) != 0 {
		t.Errorf("as of run 1: years %v index %+v", old.Years, old.Index)
	}
}

// Persistently low: below the national mean − 2·SD in two consecutive years, decided exactly. The
// reference here is math/big on the rates, not the SQL's integer test.
func TestEquityPersistentlyLow(t *testing.T) {
	var munis []equityMuni
	t25, t26 := map[string]int64{}, map[string]int64{}
	for i := range 12 {
		code := fmt.Sprintf("0100%02d", i+1)
		munis = append(munis, equityMuni{code, "01", 5000, 20000})
		t25[code], t26[code] = 480, 480 // 0.6
	}
	// FY2025: A 0.1, eleven 0.6; FY2026: A and B 0.1, ten 0.6.
	t25["010001"], t26["010001"], t26["010002"] = 80, 80, 80
	st, ctx := equityStore(t, munis, map[int]map[string]int64{2025: t25, 2026: t26}, nil)
	eq, err := st.Analyst().Equity(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	low := func(totals map[string]int64, code string) bool {
		n := big.NewRat(int64(len(totals)), 1)
		mean, sq := new(big.Rat), new(big.Rat)
		for _, v := range totals {
			r := big.NewRat(v, 800)
			mean.Add(mean, r)
			sq.Add(sq, new(big.Rat).Mul(r, r))
		}
		mean.Quo(mean, n)
		variance := new(big.Rat).Sub(new(big.Rat).Quo(sq, n), new(big.Rat).Mul(mean, mean))
		gap := new(big.Rat).Sub(mean, big.NewRat(totals[code], 800))
		return gap.Sign() > 0 && new(big.Rat).Mul(gap, gap).Cmp(new(big.Rat).Mul(big.NewRat(4, 1), variance)) > 0
	}
	var persistent []string
	for _, m := range eq.Municipal {
		tot := map[int]map[string]int64{2025: t25, 2026: t26}[m.FiscalYear]
		if m.Low != low(tot, m.Code) {
			t.Errorf("FY%d %s: low %v, reference %v", m.FiscalYear, m.Code, m.Low, !m.Low)
		}
		if m.Persistent() {
			persistent = append(persistent, fmt.Sprint(m.FiscalYear, m.Code))
		}
		if m.FiscalYear == 2025 && m.LowPrev != nil {
			t.Errorf("FY2025 %s has a previous year", m.Code)
		}
	}
	// By hand: FY2025 mean 0.5583, SD 0.1382, line 0.2819 → A only; FY2026 mean 0.5167, SD 0.1863,
	// line 0.1440 → A and B. Persistent in FY2026: A alone (B is low in one year only).
	if fmt.Sprint(persistent) != "[2026010001]" {
		t.Errorf("persistent %v", persistent)
	}
	if !low(t26, "010002") || low(t25, "010002") {
		t.Error("the test's own reference disagrees with the hand computation")
	}
}

// 地域の指標 in the equity view on the five municipalities: by hand, each group's municipalities
// with a value and their mean, beside the group's own 得点率 and yen per 65+; the correlation with
// 得点率 against a reference computed here with math/big.
func TestEquityLocalIndicators(t *testing.T) {
	st, ctx := equityStore(t, fiveMunis,
		map[int]map[string]int64{
			2025: {"010001": 160, "010002": 320, "010003": 400, "020001": 560, "020002": 520},
			2026: {"010001": 80, "010002": 480, "010003": 480, "020001": 480, "020002": 480}, // 得点率 0.1, 0.6 ×4
		},
		map[int]map[string][]int64{2026: {"010001": {30000}, "010002": {100000}, "010003": {240000}, "020001": {5000000}, "020002": {3000000}}})
	// 独居率 (%) in FY2026 for four of the five (020002 has none), and one FY2025 value that must
	// stay in FY2025; a municipality outside the view (not scored) is ignored.
	vals := map[string]string{"010001": "30.5", "010002": "20.25", "010003": "25.1", "020001": "18"}
	for code, v := range vals {
		src, asOf := "A町調査", "2025-10-01"
		if code == "020001" {
			src, asOf = "B県統計", "2026-01-01"
		}
		if _, err := store.DB(st).ExecContext(ctx, `INSERT INTO local_indicators VALUES (2026, ?, '独居率', '%', ?, CAST(? AS DATE), ?, 'f.csv')`, code, v, asOf, src); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO local_indicators VALUES (2025, '010001', '独居率', '%', 99, DATE '2024-10-01', 'A町調査', 'g.csv')`,
		`INSERT INTO local_indicators VALUES (2026, '990001', '独居率', '%', 1000, DATE '2025-10-01', 'X', 'f.csv')`,
	} {
		if _, err := store.DB(st).ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	eq, err := st.Analyst().Equity(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	// mean is the exact mean of the decimal values, rounded half away from zero to 6 places
	// (big.Rat's FloatString rounds so).
	mean := func(codes ...string) string {
		sum := new(big.Rat)
		for _, c := range codes {
			v, ok := new(big.Rat).SetString(vals[c])
			if !ok {
				t.Fatal(vals[c])
			}
			sum.Add(sum, v)
		}
		return sum.Quo(sum, big.NewRat(int64(len(codes)), 1)).FloatString(6)
	}
	got := map[string]store.EquityLocal{}
	for _, l := range eq.Local {
		got[fmt.Sprint(l.FiscalYear, l.Dim, l.Key)] = l
		if l.Indicator != "独居率" || l.Unit != "%" {
			t.Errorf("row %+v", l)
		}
	}
	for _, c := range []struct {
		fy                 int
		dim, key           string
		n, nValue          int
		mean, rate, pooled string
		sources            string
	}{
		// Nation: five municipalities, four values: (30.5 + 20.25 + 25.1 + 18)/4 = 23.4625; 得点率
		// and yen per 65+ as the group's (0.5; 8,370,000/188,000 = 44.521277); 990001 is not in
		// the view and does not count.
		{2026, "nation", "", 5, 4, "23.462500", "0.500000000", "44.521277", "A町調査、B県統計"},
		// <3k (010001, 010002): (30.5 + 20.25)/2 = 25.375; 得点率 0.35; 130,000/3,000 = 43.333333.
		{2026, "band", "lt3k", 2, 2, mean("010001", "010002"), "0.350000000", "43.333333", "A町調査"},
		{2026, "band", "3k-10k", 1, 1, "25.100000", "0.600000000", "48.000000", "A町調査"},
		// 50k–100k is 020002 alone, without a value: counted, no mean, no source.
		{2026, "band", "50k-100k", 1, 0, "", "0.600000000", "50.000000", ""},
		{2026, "band", "ge100k", 1, 1, "18.000000", "0.600000000", "41.666667", "B県統計"},
		// Quintile 5 is 010001 (高齢化率 0.4), quintile 1 010002 (0.2).
		{2026, "quintile", "5", 1, 1, "30.500000", "0.100000000", "30.000000", "A町調査"},
		{2026, "quintile", "1", 1, 1, "20.250000", "0.600000000", "50.000000", "A町調査"},
		// Prefecture 01: (30.5 + 20.25 + 25.1)/3 = 75.85/3 = 25.283333…; 得点率 1.3/3 → 0.433333333;
		// 370,000/8,000 = 46.25. Prefecture 02: 18 of 020001 alone, two municipalities.
		{2026, "prefecture", "01", 3, 3, mean("010001", "010002", "010003"), "0.433333333", "46.250000", "A町調査"},
		{2026, "prefecture", "02", 2, 1, "18.000000", "0.600000000", "44.444444", "B県統計"},
		// FY2025: 010001's 99 alone; no allocation, no yen.
		{2025, "nation", "", 5, 1, "99.000000", "0.490000000", "", "A町調査"},
	} {
		l, ok := got[fmt.Sprint(c.fy, c.dim, c.key)]
		if !ok {
			t.Errorf("no local row FY%d %s %s", c.fy, c.dim, c.key)
			continue
		}
		if l.N != c.n || l.NValue != c.nValue || l.MeanValue != c.mean || l.MeanRate != c.rate || l.PooledYen != c.pooled || l.Sources != c.sources {
			t.Errorf("FY%d %s %s: n %d with value %d mean %s 得点率 %s yen %s sources %q, want %+v", c.fy, c.dim, c.key, l.N, l.NValue, l.MeanValue, l.MeanRate, l.PooledYen, l.Sources, c)
		}
	}
	if mean("010001", "010002", "010003") != "25.283333" {
		t.Error("the test's own arithmetic")
	}
	if n := len(eq.Local); n != 2*(1+4+5+2) {
		// Per year: nation, 4 bands present, 5 quintiles, 2 prefectures.
		t.Errorf("%d local rows", n)
	}
	nat := got["2026nation"]
	if nat.AsOfMin == nil || nat.AsOfMin.Format("2006-01-02") != "2025-10-01" || nat.AsOfMax.Format("2006-01-02") != "2026-01-01" {
		t.Errorf("reference dates %v – %v", nat.AsOfMin, nat.AsOfMax)
	}
	if nat.Corr != nil {
		t.Logf("r = %v", *nat.Corr)
	}
	// Pearson's r over (value, 得点率) of 010001 (30.5, 0.1), 010002 (20.25, 0.6), 010003 (25.1,
	// 0.6), 020001 (18, 0.6): Sxy, Sxx, Syy exact with math/big, r = Sxy ÷ √(Sxx·Syy).
	xs := []string{"30.5", "20.25", "25.1", "18"}
	ys := []string{"0.1", "0.6", "0.6", "0.6"}
	n := big.NewRat(4, 1)
	var sx, sy, sxy, sxx, syy big.Rat
	for i := range xs {
		x, _ := new(big.Rat).SetString(xs[i])
		y, _ := new(big.Rat).SetString(ys[i])
		sx.Add(&sx, x)
		sy.Add(&sy, y)
		sxy.Add(&sxy, new(big.Rat).Mul(x, y))
		sxx.Add(&sxx, new(big.Rat).Mul(x, x))
		syy.Add(&syy, new(big.Rat).Mul(y, y))
	}
	cxy := new(big.Rat).Sub(new(big.Rat).Mul(n, &sxy), new(big.Rat).Mul(&sx, &sy))
	cxx := new(big.Rat).Sub(new(big.Rat).Mul(n, &sxx), new(big.Rat).Mul(&sx, &sx))
	cyy := new(big.Rat).Sub(new(big.Rat).Mul(n, &syy), new(big.Rat).Mul(&sy, &sy))
	fxy, _ := cxy.Float64()
	fxx, _ := cxx.Float64()
	fyy, _ := cyy.Float64()
	want := fxy / math.Sqrt(fxx*fyy)
	if nat.Corr == nil || math.Abs(*nat.Corr-want) > 1e-12 || want > -0.8 {
		t.Errorf("correlation %v, want %v (strongly negative: the one low scorer has the most living alone)", nat.Corr, want)
	}
	if got["2025nation"].Corr != nil || got["2026band lt3k"].Corr != nil {
		t.Error("a correlation of one value, or on a group other than the nation")
	}
	// Deterministic: the same rows give the same float, bit for bit.
	again, err := st.Analyst().Equity(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range again.Local {
		if l.Dim == "nation" && l.FiscalYear == 2026 && math.Float64bits(*l.Corr) != math.Float64bits(*nat.Corr) {
			t.Errorf("correlation %v then %v", *nat.Corr, *l.Corr)
		}
	}
}

// TestEquityReadsPopulationsAsOfTheRun: an export reads the equity view as of its allocation run,
// populations included. A FY2025 population corrected after that run (the old figures kept in
// population_history) leaves the view as of the run unchanged — so the export's rerun gives the same
// bytes — while the live view (as of 0) reads the correction. 010001's FY2025 高齢化率 is
// 1,000 / 2,500 = 0.4 before, 1,000 / 5,000 = 0.2 after.
func TestEquityReadsPopulationsAsOfTheRun(t *testing.T) {
	st, ctx := equityStore(t, fiveMunis,
		map[int]map[string]int64{
			2025: {"010001": 160, "010002": 320, "010003": 400, "020001": 560, "020002": 520},
			2026: {"010001": 80, "010002": 480, "010003": 480, "020001": 480, "020002": 480},
		},
		map[int]map[string][]int64{2026: {"010001": {30000}, "010002": {100000}, "010003": {240000}, "020001": {5000000}, "020002": {3000000}}})
	db := store.DB(st)
	var alloc int64
	if err := db.QueryRowContext(ctx, `SELECT max(id) FROM runs WHERE kind = 'allocate'`).Scan(&alloc); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO population_history SELECT code, fiscal_year, population_total, population_65plus, reference_date, source, CAST(now() AS TIMESTAMP) + INTERVAL 1 HOUR, 'later.csv' FROM populations WHERE code = '010001' AND fiscal_year = 2025`,
		`UPDATE populations SET population_total = 5000 WHERE code = '010001' AND fiscal_year = 2025`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	aging := func(asOf int64) string {
		t.Helper()
		eq, err := st.Analyst().Equity(ctx, asOf)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range eq.Municipal {
			if m.Code == "010001" && m.FiscalYear == 2025 {
				return m.Aging
			}
		}
		t.Fatal("no FY2025 row of 010001")
		return ""
	}
	if got := aging(alloc); got != "0.400000000" {
		t.Errorf("as of the allocation run: 高齢化率 %s, want 0.400000000 (the population in force then)", got)
	}
	if got := aging(0); got != "0.200000000" {
		t.Errorf("live: 高齢化率 %s, want 0.200000000 (the correction)", got)
	}
}
