package exporters_test

import (
	"bytes"
	"encoding/xml"
	"regexp"
	"strconv"
	"testing"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
)

// TestSurveyFillerMatchesWriteSurvey: a workbook the filler writes from the template's bytes holds
// the same parts as WriteSurvey's for the same entity and answers, in the same order, and every
// sheet the same XML once each shared-string reference is replaced by its text — only the order of
// the shared-string table differs. Answers are as the nation's for two entities (the table's
// fixed part copied compressed), and for the others cover blanks, numbers, a yes/no typed as 1, a
// value no choice has, a formula, and an entity whose name needs a taller guide row (written the
// slow way).
func TestSurveyFillerMatchesWriteSurvey(t *testing.T) {
	lib, err := indicators.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	entities := []exporters.SurveyEntity{
		{Code: "312011", PrefectureName: "鳥取県", Name: "鳥取市"},
		{Code: "312029001", PrefectureName: "鳥取県", Name: "米子市第1地域包括支援センター"},
		{Code: "=HYPERLINK(1)", PrefectureName: "", Name: "@SUM(A1)"},
		{Code: "999999", PrefectureName: "とても長い名前の県", Name: string(bytes.Repeat([]byte("長"), 80))},
	}
	for _, tc := range shippedTemplates {
		rb, err := lib.Get(tc.fy, tc.level)
		if err != nil {
			t.Fatal(err)
		}
		filler, err := exporters.NewSurveyFiller(rb)
		if err != nil {
			t.Fatalf("FY%d %s: %v", tc.fy, tc.level, err)
		}
		for k, e := range entities {
			answers := map[string]string{}
			for i, it := range rb.SelfItems() {
				if k < 2 { // answers as the nation's: the shared strings of the template only
					switch {
					case i%5 == 0: // blank
					case it.Rule.Type == indicators.RuleYesNo:
						answers[it.ID] = []string{"はい", "いいえ"}[(i+k)%2]
					case it.Rule.Type == indicators.RuleChoice:
						answers[it.ID] = it.Rule.Options[(i+k)%len(it.Rule.Options)].Value
					default:
						answers[it.ID] = strconv.Itoa(i) + ".25"
					}
					continue
				}
				switch (i + k) % 7 {
				case 0: // blank
				case 1:
					answers[it.ID] = "はい"
				case 2:
					answers[it.ID] = "いいえ"
				case 3:
					answers[it.ID] = strconv.Itoa(i) + ".5"
				case 4:
					if len(it.Rule.Options) > 0 {
						answers[it.ID] = it.Rule.Options[len(it.Rule.Options)-1].Value
					} else {
						answers[it.ID] = "1"
					}
				case 5:
					answers[it.ID] = "=1+2"
				case 6:
					answers[it.ID] = "未定"
				}
			}
			var want, got bytes.Buffer
			if err := exporters.WriteSurvey(&want, rb, e, answers); err != nil {
				t.Fatal(err)
			}
			if err := filler.Write(&got, e, answers); err != nil {
				t.Fatal(err)
			}
			compareWorkbooks(t, want.Bytes(), got.Bytes(), "FY"+strconv.Itoa(tc.fy)+" "+string(tc.level)+" "+e.Code)
			var again bytes.Buffer
			if err := filler.Write(&again, e, answers); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), again.Bytes()) {
				t.Errorf("FY%d %s %s: two writes differ", tc.fy, tc.level, e.Code)
			}
		}
	}
}

var sharedRefRE = regexp.MustCompile(`t="s"><v>([0-9]+)</v>`)

// compareWorkbooks compares two workbooks part by part, with shared strings resolved.
func compareWorkbooks(t *testing.T, want, got []byte, what string) {
	t.Helper()
	wp, wn := zipParts(t, want)
	gp, gn := zipParts(t, got)
	if len(wn) != len(gn) {
		t.Fatalf("%s: parts %v, want %v", what, gn, wn)
	}
	ws, gs := sharedTexts(t, wp["xl/sharedStrings.xml"]), sharedTexts(t, gp["xl/sharedStrings.xml"])
	for i, name := range wn {
		if gn[i] != name {
			t.Fatalf("%s: part %d is %s, want %s", what, i, gn[i], name)
		}
		if name == "xl/sharedStrings.xml" {
			continue
		}
		w, g := resolve(t, wp[name], ws), resolve(t, gp[name], gs)
		if w != g {
			t.Errorf("%s: %s differs:\n got %.600s\nwant %.600s", what, name, firstDiff(g, w), firstDiff(w, g))
		}
	}
}

// zipParts is exporters.ZipParts (nativechart_test.go): the parts of a workbook and their order.
func zipParts(t *testing.T, b []byte) (map[string][]byte, []string) {
	t.Helper()
	return exporters.ZipParts(t, b)
}

func sharedTexts(t *testing.T, sst []byte) []string {
	t.Helper()
	var v struct {
		SI []struct {
			T string `xml:"t"`
		} `xml:"si"`
	}
	if err := xml.Unmarshal(sst, &v); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(v.SI))
	for i, si := range v.SI {
		out[i] = si.T
	}
	return out
}

func resolve(t *testing.T, part []byte, sst []string) string {
	t.Helper()
	return sharedRefRE.ReplaceAllStringFunc(string(part), func(m string) string {
		n, err := strconv.Atoi(sharedRefRE.FindStringSubmatch(m)[1])
		if err != nil || n >= len(sst) {
			t.Errorf("shared string %s out of range (%d)", m, len(sst))
			return m
		}
		return `t="s"><v>` + sst[n] + `</v>`
	})
}

// firstDiff is a from shortly before where it first differs from b.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return a[max(0, i-200):]
}
