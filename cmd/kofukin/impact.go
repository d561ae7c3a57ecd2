package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/internal/atomicfile"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

// cmdImpact prints the impact assessment (効果検証) of an action item on an outcome item.
func cmdImpact(ctx context.Context, a *app, args []string) error {
	fs := a.flags("impact")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	item := fs.String("item", "", "the action item, e.g. S1-8-a or S1-2-b")
	outcome := fs.String("outcome", "", "the outcome item (ministry-supplied, 目標Ⅳ), e.g. O-1-a")
	years := fs.String("years", "", "fiscal years FIRST-LAST, e.g. 2024-2026")
	threshold := fs.String("threshold", "", "the value from which a numeric answer counts as adopted (default: はい for a yes/no item, 10 for S1-8-a)")
	resamples := fs.Int("resamples", pipeline.DefaultResamples, "bootstrap resamples")
	seed := fs.Uint64("seed", 1, "the bootstrap's seed")
	minControls := fs.Int("min-controls", pipeline.DefaultMinControls, "the fewest controls a year's (or size band's) contrast needs to count")
	out := fs.String("out", "", "also write the sheet 「効果検証」 as a workbook to this .xlsx file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	first, last, ok := parseYearRange(*years)
	if *item == "" || *outcome == "" || !ok {
		return &exitError{code: 2, msg: "impact: --item ID --outcome ID --years FIRST-LAST（例：--years 2024-2026）が必要です / --item, --outcome and --years are required"}
	}
	req := pipeline.ImpactRequest{ActionItem: *item, OutcomeItem: *outcome, FirstFY: first, LastFY: last, Resamples: *resamples, Seed: *seed, MinControls: *minControls}
	if *threshold != "" {
		v, err := strconv.ParseFloat(*threshold, 64)
		if err != nil {
			return &exitError{code: 2, msg: fmt.Sprintf("impact: --threshold %q は数値ではありません / not a number", *threshold)}
		}
		req.Threshold = &v
	}
	r, closeStore, err := a.existing(ctx, "impact", *db)
	if err != nil {
		return err
	}
	defer closeStore()
	rep, err := r.Impact(ctx, kofukin.Operator("cli"), req)
	if err != nil {
		return err
	}
	printImpact(a.stdout, rep)
	if *out != "" {
		var buf bytes.Buffer
		if err := exporters.WriteImpact(&buf, rep.ImpactSheet()); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(*out, buf.Bytes()); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "\n書き出し: %s\n", *out)
	}
	return nil
}

// parseYearRange reads "2024-2026" (or one year, "2026").
func parseYearRange(s string) (first, last int, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		b = a
	}
	first, err1 := strconv.Atoi(strings.TrimSpace(a))
	last, err2 := strconv.Atoi(strings.TrimSpace(b))
	return first, last, err1 == nil && err2 == nil && first > 0 && last >= first
}

// signed prints a difference with its sign to two places; "—" when there is none.
func signed(v *float64) string {
	if v == nil {
		return "—"
	}
	r := math.Round(*v*100) / 100
	if r == 0 {
		r = 0 // not −0.00
	}
	return fmt.Sprintf("%+.2f", r)
}

func printImpact(w io.Writer, rep *pipeline.ImpactReport) {
	req, u := rep.Request, rep.ChangeUnit()
	fmt.Fprintf(w, "効果検証（差の差の推定）\n")
	fmt.Fprintf(w, "  取組: %s %s（実施＝%s）\n", req.ActionItem, rep.ActionQuestion, rep.AdoptionRule())
	fmt.Fprintf(w, "  成果: %s %s（%s、同じ年度の値）\n", req.OutcomeItem, rep.OutcomeQuestion, rep.OutcomeUnit)
	fmt.Fprintf(w, "  年度: %d–%d、比較に入った市町村 %d、ブートストラップ %d 回（市町村単位、シード %d）\n\n",
		req.FirstFY, req.LastFY, rep.Municipalities, req.Resamples, req.Seed)
	cols := []string{"年度", "新規実施", "対照", "実施群の変化", "対照群の変化", "差の差", "規模区分調整", "事前:実施", "事前:対照", "事前の差"}
	widths := []int{6, 10, 8, 14, 14, 8, 14, 10, 10, 10}
	row := func(cells ...string) {
		for i, c := range cells {
			fmt.Fprint(w, padLeft(c, widths[i]))
		}
		fmt.Fprintln(w)
	}
	row(cols...)
	line := func(label string, y store.ImpactYear) {
		row(label, strconv.FormatInt(y.Treated, 10), strconv.FormatInt(y.Controls, 10), signed(y.MeanTreated), signed(y.MeanControls),
			signed(y.Raw), signed(y.Band), strconv.FormatInt(y.PreTreated, 10), strconv.FormatInt(y.PreControls, 10), signed(y.PreBand))
	}
	for _, y := range rep.Years {
		line(strconv.Itoa(y.FY), y)
	}
	if len(rep.Years) > 0 {
		line("全体（延べ）", rep.Pooled)
	}
	fmt.Fprintln(w)
	iv := func(label string, x pipeline.ImpactInterval) {
		if x.Estimate == nil {
			fmt.Fprintf(w, "%s: 推定できません\n", label)
			return
		}
		fmt.Fprintf(w, "%s: %s %s　95%%信頼区間 [%s, %s]\n", label, signed(x.Estimate), u, signed(x.Lo), signed(x.Hi))
	}
	iv("推定（規模区分調整）", rep.DiDBand)
	iv("推定（調整なし）　　", rep.DiD)
	iv("事前期間の傾向チェック（規模区分調整）", rep.TrendBand)
	iv("事前期間の傾向チェック（調整なし）　　", rep.Trend)
	if rep.TrendBand.Estimate != nil {
		if rep.TrendBand.Excludes0() {
			fmt.Fprintln(w, "  ※ 取組を始める前から両群の成果の動きに差があります。推定は取組以外の違いを含む可能性があります。")
		} else {
			fmt.Fprintln(w, "  ※ 取組を始める前の両群の成果の動きに、はっきりした差は見られません。")
		}
	}
	fmt.Fprintf(w, "\n各群の成果の平均（%s）\n", rep.OutcomeUnit)
	for _, t := range rep.Trends {
		mean := "—"
		if t.Mean != nil {
			mean = fmt.Sprintf("%.2f", *t.Mean)
		}
		fmt.Fprintf(w, "  %d %-12s %8s（%d 市町村、うち実施 %d）\n", t.FY, pipeline.ImpactGroupLabel(t.Group), mean, t.N, t.Adopted)
	}
	for _, ry := range rep.Relations {
		fmt.Fprintf(w, "\n指標の得点と翌年度の成果の変化（%d→%d 年度、採点実行 %d）\n", ry.FY, ry.FY+1, ry.Run)
		fmt.Fprintf(w, "  %-10s %6s %10s %12s %8s  %s\n", "指標", "市町村", "平均得点", "傾き/1点", "相関", "名称")
		for _, l := range ry.Lines {
			fmt.Fprintf(w, "  %-10s %6d %10.2f %12s %8s  %s\n", l.IndicatorID, l.N, l.MeanPoints, fmtOpt(l.Slope, "%+.3f"), fmtOpt(l.Corr, "%+.3f"), l.Name)
		}
	}
	if len(rep.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "・%s\n", n)
		}
	}
	fmt.Fprintln(w, "\n読み方の注意")
	for _, c := range rep.Caveats {
		fmt.Fprintf(w, "・%s\n", c)
	}
}

func fmtOpt(v *float64, format string) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf(format, *v)
}

// padLeft right-aligns s in n columns of a terminal, counting a wide (Japanese) character as two.
func padLeft(s string, n int) string {
	w := 0
	for _, r := range s {
		w++
		if r >= 0x1100 && (r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf || r >= 0xac00 && r <= 0xd7a3 || r >= 0xf900 && r <= 0xfaff || r >= 0xfe30 && r <= 0xfe4f || r >= 0xff00 && r <= 0xff60 || r >= 0xffe0 && r <= 0xffe6) {
			w++
		}
	}
	if w >= n {
		return " " + s
	}
	return strings.Repeat(" ", n-w) + s
}
