package loaders_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/fixtures/hostile"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/loaders"
)

// The fuzz targets run as tests with their seeds (go test ./loaders) and fuzz with
// go test ./loaders -run '^$' -fuzz '^FuzzReadSurvey$' (one target at a time). Each asserts that
// no input panics and that what comes back is bounded: the problems, their texts, the answers.

// checkProblems asserts the bounds every rejection keeps.
func checkProblems(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var rj *loaders.Rejection
	if !errors.As(err, &rj) {
		t.Fatalf("an error that is not a rejection: %v", err)
	}
	if len(rj.Problems) == 0 || len(rj.Problems) > loaders.MaxProblems+1 {
		t.Fatalf("%d problems", len(rj.Problems))
	}
	for _, p := range rj.Problems {
		if p.Code == "" || p.MessageJA == "" || p.MessageEN == "" {
			t.Fatalf("problem without code or message: %+v", p)
		}
		if n := len(p.MessageJA) + len(p.MessageEN) + len(p.Found) + len(p.Expected) + len(p.Cell) + len(p.Item); n > 4000 {
			t.Fatalf("problem of %d bytes: %.200v", n, p)
		}
	}
}

// storedCopy rewrites a workbook with stored (uncompressed) entries and no checksums, so that a
// fuzzer's byte flips reach the XML instead of failing the zip's checks.
func storedCopy(tb testing.TB, data []byte) []byte { return build(tb, parts(tb, data), true) }

func FuzzReadSurvey(f *testing.F) {
	lib, rb := library(f)
	good := filled(f, rb, map[string]string{"P1-1-a": "○", "P1-5-a": "１，２３４"})
	small := filled(f, rb, nil)
	f.Add(good)
	f.Add(storedCopy(f, good))
	f.Add(storedCopy(f, withRows(f, small, `<row r="7">`+hostile.Inline("AAAAAAAAAAAAAAA7", "x")+hostile.Inline("XFD7", "y")+`</row><row r="-5"><c><v>1</v></c></row>`)))
	f.Add(storedCopy(f, withRows(f, small, strings.Repeat(`<row><c><v>1</v></c></row>`, 300))))
	f.Add(storedCopy(f, rework(f, small, func(name string, body []byte) []byte {
		if name == partWorkbook {
			return append([]byte(`<!DOCTYPE w [<!ENTITY a "&b;&b;"><!ENTITY b "x">]>`), body...)
		}
		return body
	})))
	for _, n := range []string{"typed.xlsx", "damaged.xlsx", "prefecture.xlsx", "centre.xlsx"} {
		f.Add(readLO(f, n))
	}
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		sv, err := loaders.ReadSurvey("fuzz.xlsx", data, lib, loaders.Expect{})
		checkProblems(t, err)
		if err == nil {
			srb, gerr := lib.Get(sv.FiscalYear, sv.Level)
			if gerr != nil {
				t.Fatalf("accepted without a rulebook: %v", gerr)
			}
			if len(sv.Answers) > len(srb.SelfItems()) {
				t.Fatalf("%d answers for %d items", len(sv.Answers), len(srb.SelfItems()))
			}
			if sv.RulebookHash != srb.Hash || (sv.StampedHash != "" && sv.StampedHash != srb.Hash) {
				t.Fatalf("accepted against rulebook %s, stamped %s", sv.RulebookHash, sv.StampedHash)
			}
		}
		if code := loaders.PeekEntity(data); len(code) > 9 {
			t.Fatalf("PeekEntity %q", code)
		}
	})
}

// csvSeeds are CSVs of every kind, right and wrong.
func csvSeeds(tb testing.TB, rb *indicators.Rulebook) [][]byte {
	var sv strings.Builder
	sv.WriteString("年度,団体コード,項目ID,回答,設問\n")
	for i, it := range rb.SelfItems() {
		ans := "はい"
		switch it.Rule.Type {
		case indicators.RuleChoice:
			ans = it.Rule.Options[0].Value
		case indicators.RuleYesNo:
		default:
			ans = "45%"
		}
		if i == 3 {
			ans = ""
		}
		fmt.Fprintf(&sv, "2026,131016,%s,%s,\"%s\"\n", it.ID, ans, strings.ReplaceAll(it.Question, `"`, `""`))
	}
	var out strings.Builder
	out.WriteString("年度,団体コード,項目ID,値\n")
	for _, it := range rb.Items() {
		if it.Source == indicators.SourceMinistry {
			fmt.Fprintf(&out, "2026,131016,%s,12.5\n2026,13101,%s,3\n", it.ID, it.ID)
		}
	}
	sjis, _ := japanese.ShiftJIS.NewEncoder().String(sv.String())
	seeds := []string{
		sv.String(),
		"\ufeff" + sv.String(),
		sjis,
		out.String(),
		"年度,団体コード,基準日,第1号被保険者数,総人口,出典\n2026,131016,2025-01-01,\"12,345\",67000,住民基本台帳\n2026,13101,令和7年1月1日,１２３,,\n",
		"年度,広域連合コード,広域連合名,構成市町村コード\n2026,U01,後期高齢者広域連合,131016\n2026,U01,後期高齢者広域連合,131024\n",
		"年度,団体コード,交付金,所要見込額\n2026,131016,推進,1000000\n",
		"団体コード,区分,名称,都道府県コード,有効開始年度,有効終了年度,親コード\n131016,市町村,千代田区,13,2000,,\n131016001,地域包括支援センター,神田,13,2020,2025,131016\n",
		"年度,センターコード,市町村コード,センター名,運営形態\n2026,131016001,131016,神田地域包括支援センター,委託\n",
		"年度,団体コード,項目ID,回答\n\"abc\n",
		"年度,団体コード,項目ID,回答\n2026,13\"1016,P1-1-a,はい\n",
		"年度,団体コード,項目ID,回答\n2026,131016,P1-1-a,\xff\xfe\n",
		"年度,団体コード,項目ID,回答\n" + sjis[strings.Index(sjis, "\n")+1:],
		"年度,団体コード,項目ID,回答\n" + strings.Repeat(",", 1200) + "\n",
		"年度,団体コード,項目ID,回答\n2026,131016,P1-1-a,は\ufffd\n",
		"",
		"\n\n\"",
	}
	out2 := make([][]byte, len(seeds))
	for i, s := range seeds {
		out2[i] = []byte(s)
	}
	return out2
}

func FuzzReadCSV(f *testing.F) {
	lib, rb := library(f)
	for _, s := range csvSeeds(f, rb) {
		f.Add(s)
	}
	grants := map[string]string{"推進": "suishin", "支援": "shien"}
	f.Fuzz(func(t *testing.T, data []byte) {
		sv, err := loaders.ReadSurveyCSV("fuzz.csv", data, lib, loaders.Expect{})
		checkProblems(t, err)
		if err == nil {
			srb, gerr := lib.Get(sv.FiscalYear, sv.Level)
			if gerr != nil || len(sv.Answers) > len(srb.SelfItems()) {
				t.Fatalf("accepted %d answers: %v", len(sv.Answers), gerr)
			}
		}
		_, err = loaders.ReadOutcomes("fuzz.csv", data, rb, nil)
		checkProblems(t, err)
		_, err = loaders.ReadPopulation("fuzz.csv", data, nil, nil)
		checkProblems(t, err)
		_, err = loaders.ReadEntityList("fuzz.csv", data)
		checkProblems(t, err)
		_, err = loaders.ReadCentres("fuzz.csv", data, nil)
		checkProblems(t, err)
		_, err = loaders.ReadUnions("fuzz.csv", data, nil)
		checkProblems(t, err)
		_, err = loaders.ReadNeeds("fuzz.csv", data, nil, grants)
		checkProblems(t, err)
		switch loaders.CSVKind(data) {
		case loaders.CSVSurvey, loaders.CSVOutcomes, loaders.CSVCentres, loaders.CSVPopulation, loaders.CSVUnions, loaders.CSVNeeds, loaders.CSVEntities, loaders.CSVUnknown:
		default:
			t.Fatal("unknown CSV kind")
		}
		if code := loaders.PeekEntity(data); len(code) > 9 {
			t.Fatalf("PeekEntity %q", code)
		}
		loaders.CSVYear(data)
		if fy, line, p := loaders.CSVFirstYear(data); (p != nil && (p.Cell == "" || fy != 0)) || (p == nil && line > 0 && fy <= 0) || line < 0 {
			t.Fatalf("CSVFirstYear: year %d line %d problem %+v", fy, line, p)
		}
		loaders.CSVHeader(data)
		if text, _, err := loaders.DecodeText(data); err == nil {
			if !utf8.Valid(text) || bytes.ContainsRune(text, utf8.RuneError) {
				t.Fatal("DecodeText returned text that is not clean UTF-8")
			}
		} else {
			checkProblems(t, err)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"はい", "○", "〇", "×", "１", "有", "実施", " YES ", "いいえ", "未実施", "たぶん",
		"45%", "１，２３４", " 12.5 ", "−3", "1,234.5", "NaN", "Inf", "-infinity", "0x1p3", "1_000", "1e400", "1.5E+03", ".5", "5.", "-", "+.e3",
		"2025/4/1", "令和7年4月1日", "令和元年5月1日", "R7.4.1", "H31/4/30", "昭和64年1月7日", "45748", "令和9999年1月1日", "2958466", "ｒ０７／０４／０１",
		"\u3000全角\u3000", "ｶﾞ", "\u0301", " \u0301", "\xff\xfe", "ﬁ", "\u2028x\u2029", "\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := loaders.NormalizeText(s)
		if again := loaders.NormalizeText(n); again != n {
			t.Fatalf("NormalizeText is not idempotent: %q → %q → %q", s, n, again)
		}
		if strings.TrimSpace(n) != n {
			t.Fatalf("NormalizeText(%q) = %q keeps spaces at its ends", s, n)
		}
		yes, ok := loaders.ParseYesNo(s)
		if yes2, ok2 := loaders.ParseYesNo(n); yes2 != yes || ok2 != ok {
			t.Fatalf("ParseYesNo differs on %q and its normal form", s)
		}
		if !ok && yes {
			t.Fatal("ParseYesNo: yes without ok")
		}
		v, ok := loaders.ParseNumber(s)
		if ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("ParseNumber(%q) = %v", s, v)
		}
		if v2, ok2 := loaders.ParseNumber(n); v2 != v || ok2 != ok {
			t.Fatalf("ParseNumber differs on %q and its normal form", s)
		}
		d, ok := loaders.ParseDate(s)
		if ok {
			if d.Year() < 1000 || d.Year() > 9999 || d.Location() != time.UTC || d.Hour()+d.Minute()+d.Second()+d.Nanosecond() != 0 {
				t.Fatalf("ParseDate(%q) = %v", s, d)
			}
		} else if !d.IsZero() {
			t.Fatalf("ParseDate(%q) not ok but %v", s, d)
		}
	})
}

// reviewWorkbook is a review workbook as kofukin writes it for 鳥取県, with two verdicts.
func reviewWorkbook(tb testing.TB) []byte {
	tb.Helper()
	var buf bytes.Buffer
	err := exporters.WriteReview(&buf, exporters.Review{FiscalYear: 2026, EraLabel: "令和8年度", PrefCode: "310000", PrefName: "鳥取県", ScoreRunID: 1, AllocateRunID: 2,
		Municipalities: []exporters.ReviewMunicipality{
			{Code: "312011", Name: "鳥取市", Submitted: true, Status: "確認済", Items: []exporters.ReviewItem{}},
			{Code: "312029", Name: "米子市", Submitted: true, Status: "差戻し", Comment: "P1-7 の回収率を確認してください。"},
			{Code: "312037", Name: "倉吉市"},
		},
		Labels: map[string]exporters.ItemLabel{}})
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func FuzzReadReview(f *testing.F) {
	good := reviewWorkbook(f)
	f.Add(good)
	f.Add(storedCopy(f, good))
	f.Add(storedCopy(f, rework(f, good, func(name string, body []byte) []byte {
		if name != "xl/worksheets/sheet1.xml" {
			return body
		}
		return bytes.Replace(body, []byte("</sheetData>"), []byte(`<row r="9000">`+hostile.Inline("ZZZZZZ9000", "x")+`</row><row r="7">`+hostile.Inline("A7", "312011")+hostile.Inline("L7", "確認済")+`</row></sheetData>`), 1)
	})))
	f.Add([]byte("PK"))
	inPref := func(pref, code string) bool {
		return len(pref) >= 2 && len(code) == 6 && code[:2] == pref[:2] && code[2:5] != "000"
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rf, err := loaders.ReadReview("fuzz.xlsx", data, inPref)
		checkProblems(t, err)
		if err == nil {
			seen := map[string]bool{}
			for _, v := range rf.Verdicts {
				if seen[v.Code] || !inPref(rf.PrefectureCode, v.Code) || (v.Status != "未確認" && v.Status != "確認済" && v.Status != "差戻し") {
					t.Fatalf("verdict %+v", v)
				}
				seen[v.Code] = true
			}
		}
	})
}
