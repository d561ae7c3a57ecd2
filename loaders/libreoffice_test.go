package loaders_test

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
)

func readLO(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/libreoffice/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestLibreOfficeSavedWorkbooks(t *testing.T) {
	lib, _ := library(t)
	sv, err := loaders.ReadSurvey("typed.xlsx", readLO(t, "typed.xlsx"), lib, loaders.Expect{FiscalYear: 2026, Level: indicators.Municipality})
	if err != nil {
		t.Fatal(err)
	}
	if sv.EntityCode != "012025" {
		t.Errorf("code %q: the lost leading zero should be restored (check digit proves 012025)", sv.EntityCode)
	}
	if !sv.FilledOn.Equal(time.Date(2025, 5, 10, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("記入日 %v, want 2025-05-10 from 令和７年５月１０日", sv.FilledOn)
	}
	got := map[string]loaders.Answer{}
	for _, a := range sv.Answers {
		got[a.ItemID] = a
	}
	for id, want := range map[string]float64{"P1-1-a": 1, "P1-1-b": 0, "P1-1-c": 1, "P1-1-d": 0, "P1-2-a": 1, "P1-2-b": 0,
		"P1-2-c": 1, "P1-2-d": 0, "P1-6-a": 45, "P1-5-a": 1234, "P1-7-a": 68.5, "S2-1-a": 2} {
		if a := got[id]; a.Blank || a.Num != want {
			t.Errorf("%s read as %+v, want %g", id, a, want)
		}
	}
	if a := got["P3-1-d"]; !a.Blank {
		t.Errorf("P3-1-d should be blank: %+v", a)
	}

	_, err = loaders.ReadSurvey("damaged.xlsx", readLO(t, "damaged.xlsx"), lib, loaders.Expect{FiscalYear: 2026})
	ps := problems(t, err)
	want := map[string]string{"B2": loaders.ErrCodeAsDate, "F8": loaders.ErrAnswerInvalid, "F25": loaders.ErrAnswerRange}
	if len(ps) != len(want) {
		t.Errorf("%d problems, want %d: %v", len(ps), len(want), ps)
	}
	for _, p := range ps {
		if want[p.Cell] != p.Code || p.Sheet != "回答" {
			t.Errorf("unexpected problem %s", p)
		}
	}

	pr, err := loaders.ReadSurvey("prefecture.xlsx", readLO(t, "prefecture.xlsx"), lib, loaders.Expect{FiscalYear: 2026})
	if err != nil || pr.Level != indicators.Prefecture || pr.EntityCode != "310000" {
		t.Errorf("prefecture: %v %+v", err, pr)
	}
	ce, err := loaders.ReadSurvey("centre.xlsx", readLO(t, "centre.xlsx"), lib, loaders.Expect{FiscalYear: 2026, Level: indicators.Centre})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ce.Answers {
		if a.ItemID == "A-3-a" && (a.Num != 1 || !strings.HasPrefix(a.Text, "段階3：")) {
			t.Errorf("段階3 read as %+v", a)
		}
	}
}

// TestExcelPhoneticRuns: Excel stores the furigana typed through a Japanese IME inside the shared
// strings (<rPh>); they are not part of the cell's text.
func TestExcelPhoneticRuns(t *testing.T) {
	lib, rb := library(t)
	data := filled(t, rb, nil)
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		body, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "xl/sharedStrings.xml" {
			// Excel's way: <si><t>はい</t><rPh sb="0" eb="2"><t>ハイ</t></rPh><phoneticPr fontId="1"/></si>
			body = bytes.ReplaceAll(body, []byte("<t>はい</t>"), []byte(`<t>はい</t><rPh sb="0" eb="2"><t>ハイ</t></rPh><phoneticPr fontId="1"/>`))
			if !bytes.Contains(body, []byte("<rPh")) {
				t.Fatal("no はい in the shared strings to decorate")
			}
		}
		w, _ := zw.Create(f.Name)
		w.Write(body)
	}
	zw.Close()
	sv, err := loaders.ReadSurvey("excel.xlsx", out.Bytes(), lib, loaders.Expect{FiscalYear: 2026})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range sv.Answers {
		if a.Text == "はいハイ" || (a.ItemID == "P1-1-a" && a.Num != 1) {
			t.Fatalf("phonetic run read into the answer: %+v", a)
		}
	}
}

func TestParseDate(t *testing.T) {
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	for in, want := range map[string]time.Time{
		"2025/4/1": day(2025, 4, 1), "2025-04-01": day(2025, 4, 1), "2025年4月1日": day(2025, 4, 1), "２０２５／４／１": day(2025, 4, 1),
		"令和7年4月1日": day(2025, 4, 1), "令和元年5月1日": day(2019, 5, 1), "R7.4.1": day(2025, 4, 1), "r07/04/01": day(2025, 4, 1),
		"平成31年4月30日": day(2019, 4, 30), "H31.4.30": day(2019, 4, 30), "昭和64年1月7日": day(1989, 1, 7), "45748": day(2025, 4, 1),
	} {
		got, ok := loaders.ParseDate(in)
		if !ok || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"令和1年4月30日", "平成31年5月1日", "2025/2/30", "令和7年13月1日", "昨日", "7/4/1", "元年5月1日"} {
		if got, ok := loaders.ParseDate(bad); ok {
			t.Errorf("ParseDate(%q) = %v, want no date", bad, got)
		}
	}
}
