package exporters_test

import (
	"bytes"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kofukin/kofukin/exporters"
)

// sampleFeedback is a prefecture's feedback workbook of two municipalities with their 地域診断.
func sampleFeedback() exporters.Feedback {
	goals := []exporters.FeedbackGoal{
		{Label: "推進 目標Ⅰ", Points: 41, Max: 100, Rate: 0.41, National: 0.545, Pref: 0.503, SizeBand: 0.672},
		{Label: "推進 目標Ⅱ", Points: 50, Max: 100, Rate: 0.5, National: 0.594, Pref: 0.6, SizeBand: 0.685},
		{Label: "支援 目標Ⅰ", Points: 53, Max: 100, Rate: 0.53, National: 0.541, Pref: 0.526, SizeBand: 0.638},
		{Label: "目標Ⅳ（推進）", Points: 60, Max: 100, Rate: 0.6, National: 0.465, Pref: 0.442, SizeBand: 0.517},
	}
	diag := func(perPerson float64) *exporters.FeedbackDiagnosis {
		return &exporters.FeedbackDiagnosis{Band: "5万～10万人", PeerShare: 60,
			PeerItems:     []exporters.DiagnosisItem{{ItemID: "P2-1-c", Goal: "推進 目標Ⅱ", Indicator: "1 要介護認定", Question: "業務分析データを活用して認定調査員の研修を実施しているか", Points: 8, Achieved: 75, Peers: 82, Share: 0.914634}},
			PeerItemsMore: 3,
			Outcomes: []exporters.DiagnosisOutcome{{ItemID: "O-1-a", Question: "要介護1・2の者のうち、1年後に要介護度が維持・改善した者の割合", Unit: "%", Value: 85.1, N: 83, Q1: 69.25, Median: 73.2, Q3: 76, Min: 63.1, Max: 85.3, National: 72.1},
				{ItemID: "O-1-b", Question: "平均要介護度の変化（小さいほど上位）", LowerIsBetter: true, Value: 0, N: 83, Q1: 0.1, Median: 0.2, Q3: 0.3, Min: -0.2, Max: 0.6, National: 0.2}},
			Yen: &exporters.DiagnosisYen{Yen: 41774684, Pop65: 55547, PerPerson: perPerson, N: 83, Q1: 721.33, Median: 813.5, Q3: 926.86, Min: 398.43, Max: 1125.52, Prefecture: 744.44, National: 796.77}}
	}
	return exporters.Feedback{FiscalYear: 2026, EraLabel: "令和8年度", PrefCode: "310000", PrefName: "鳥取県", Municipalities: []exporters.FeedbackMunicipality{
		{Code: "312011", Name: "鳥取市", Band: "5万～10万人", Total: 400, Max: 800, Rate: 0.5, Rank: 100, Of: 1741, YenTotal: 41774684, Goals: goals,
			Worth: []exporters.PointWorth{{Grant: "推進", Yen: 1000}, {Grant: "支援", Yen: 2000}}, Diagnosis: diag(752.06)},
		{Code: "312029", Name: "米子市", Band: "5万～10万人", Total: 300, Max: 800, Rate: 0.375, Rank: 900, Of: 1741, YenTotal: 30000000, Goals: goals,
			Worth: []exporters.PointWorth{{Grant: "推進", Yen: 900}}, Diagnosis: diag(640.5)},
	}}
}

// chartParts returns the workbook's chart parts by name (of zipParts, surveyfill_test.go).
func chartParts(t *testing.T, data []byte) map[string]string {
	t.Helper()
	all, _ := zipParts(t, data)
	out := map[string]string{}
	for name, b := range all {
		if strings.HasPrefix(name, "xl/charts/chart") {
			out[name] = string(b)
		}
	}
	return out
}

// chartSummary lists each chart's kind and the ranges its series read, sorted: e.g.
// "radarChart '312011 鳥取市'!$D$8:$D$11 …". LibreOffice rewrites the XML, so only the kind and the
// references are compared.
func chartSummary(parts map[string]string) []string {
	var out []string
	for _, x := range parts {
		kind := ""
		for _, k := range []string{"radarChart", "barChart"} {
			if strings.Contains(x, "<c:"+k) || strings.Contains(x, "<"+k) {
				kind = k
			}
		}
		var refs []string
		for _, seg := range strings.Split(x, "<c:f>")[1:] {
			if j := strings.Index(seg, "</c:f>"); j >= 0 {
				refs = append(refs, html.UnescapeString(seg[:j]))
			}
		}
		for _, seg := range strings.Split(x, "<f>")[1:] {
			if j := strings.Index(seg, "</f>"); j >= 0 {
				refs = append(refs, html.UnescapeString(seg[:j]))
			}
		}
		sort.Strings(refs)
		out = append(out, kind+" "+strings.Join(refs, " "))
	}
	sort.Strings(out)
	return out
}

// TestFeedbackDiagnosis: each municipality's sheet has its 地域診断 below the goal table: two native
// charts (a radar of the goal table's four rate columns, a bar of its yen per person aged 65+), the
// outcome values with their place in the band, the items its peers achieve; printed on A4 portrait.
func TestFeedbackDiagnosis(t *testing.T) {
	var buf bytes.Buffer
	if err := exporters.WriteFeedback(&buf, sampleFeedback()); err != nil {
		t.Fatal(err)
	}
	charts := chartSummary(chartParts(t, buf.Bytes()))
	if len(charts) != 4 {
		t.Fatalf("%d charts, want 2 per municipality: %q", len(charts), charts)
	}
	// The goal table: header on row 7, the four goals on rows 8–11, rates in D–G.
	for _, want := range []string{
		"radarChart '312011 鳥取市'!$A$8:$A$11 '312011 鳥取市'!$A$8:$A$11 '312011 鳥取市'!$A$8:$A$11 '312011 鳥取市'!$A$8:$A$11 '312011 鳥取市'!$D$7 '312011 鳥取市'!$D$8:$D$11 '312011 鳥取市'!$E$7 '312011 鳥取市'!$E$8:$E$11 '312011 鳥取市'!$F$7 '312011 鳥取市'!$F$8:$F$11 '312011 鳥取市'!$G$7 '312011 鳥取市'!$G$8:$G$11",
	} {
		if !contains(charts, want) {
			t.Errorf("no chart %q in\n%s", want, strings.Join(charts, "\n"))
		}
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := "312011 鳥取市"
	rows, err := f.GetRows(s)
	if err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprint(rows)
	for _, want := range []string{"地域診断（同規模区分: 5万～10万人）", "752.06", "813.5", "O-1-a 要介護1・2", "上位4分の1", "O-1-b 平均要介護度の変化（小さいほど上位）",
		"P2-1-c 業務分析データ", "91.5%", "ほか3設問", "同規模の団体の60%以上が達成し"} {
		if !strings.Contains(text, want) {
			t.Errorf("sheet lacks %q", want)
		}
	}
	// O-1-b: 0 is below the first quartile 0.1, and smaller is better: 上位.
	if strings.Contains(text, "下位4分の1") {
		t.Errorf("a value better than the band's quartile is read as 下位: %s", text)
	}
	if strings.Contains(text, "米子市") || strings.Contains(text, "640.5") {
		t.Errorf("鳥取市's sheet holds 米子市's figures")
	}
	lo, err := f.GetPageLayout(s)
	if err != nil {
		t.Fatal(err)
	}
	if lo.Size == nil || *lo.Size != 9 || lo.Orientation == nil || *lo.Orientation != "portrait" || lo.FitToWidth == nil || *lo.FitToWidth != 1 {
		t.Errorf("page layout %+v, want A4 (9) portrait fitted to the width", lo)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// soffice finds LibreOffice; without it the round trip is skipped (as the LibreOffice files of
// loaders' tests are made once, by hand).
func soffice(t *testing.T) string {
	for _, name := range []string{"soffice", "libreoffice"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("LibreOffice (soffice) is not installed")
	return ""
}

// TestFeedbackChartsSurviveLibreOffice opens the feedback workbook in LibreOffice, saves it as
// .xlsx again and prints it to PDF: the round-tripped workbook still has a radar and a bar chart on
// each municipality's sheet reading the same cells, and the PDF is A4. KOFUKIN_SCREENSHOTS keeps
// the PDF to be looked at.
func TestFeedbackChartsSurviveLibreOffice(t *testing.T) {
	exe := soffice(t)
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := exporters.WriteFeedback(&buf, sampleFeedback()); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in", "feedback.xlsx")
	if err := os.MkdirAll(filepath.Dir(in), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	convert := func(to, src string) string {
		t.Helper()
		out := filepath.Join(dir, "out-"+to)
		cmd := exec.Command(exe, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless", "--norestore", "--convert-to", to, "--outdir", out, src)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("soffice --convert-to %s: %v\n%s", to, err, b)
		}
		got := filepath.Join(out, strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))+"."+to)
		if _, err := os.Stat(got); err != nil {
			t.Fatalf("soffice wrote no %s: %v", got, err)
		}
		return got
	}
	round := convert("xlsx", in)
	data, err := os.ReadFile(round)
	if err != nil {
		t.Fatal(err)
	}
	before, after := chartSummary(chartParts(t, buf.Bytes())), chartSummary(chartParts(t, data))
	kinds := func(list []string) string {
		var k []string
		for _, x := range list {
			k = append(k, strings.Fields(x)[0])
		}
		return strings.Join(k, " ")
	}
	if kinds(after) != "barChart barChart radarChart radarChart" {
		t.Errorf("after LibreOffice: %q", after)
	}
	// The series read the same cells (LibreOffice may write the sheet name quoted the same way or
	// add $ signs; the comparison is on the references as written by both).
	for _, b := range before {
		found := false
		for _, a := range after {
			if strings.ReplaceAll(a, "$", "") == strings.ReplaceAll(b, "$", "") {
				found = true
			}
		}
		if !found {
			t.Errorf("chart %q not found after LibreOffice in\n%s", b, strings.Join(after, "\n"))
		}
	}
	pdf := convert("pdf", round)
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Fatalf("not a PDF")
	}
	if p, err := exec.LookPath("pdfinfo"); err == nil {
		out, err := exec.Command(p, pdf).Output()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "(A4)") {
			t.Errorf("the PDF is not A4:\n%s", out)
		}
	}
	if shots := os.Getenv("KOFUKIN_SCREENSHOTS"); shots != "" {
		if err := os.WriteFile(filepath.Join(shots, "feedback-libreoffice.pdf"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
