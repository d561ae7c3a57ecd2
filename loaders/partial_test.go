package loaders_test

import (
	"testing"

	"github.com/kofukin/kofukin/loaders"
)

func TestCSVFirstYear(t *testing.T) {
	for _, tc := range []struct {
		name, csv  string
		fy, line   int
		code, cell string // the problem, "" none
	}{
		{"a year", "年度,団体コード,項目ID,値\n2026,312011,O-1-a,3\n", 2026, 2, "", ""},
		{"full-width year after blank lines", "団体コード,年度\r\n\r\n\r\n312011,２０２３\r\n", 2023, 4, "", ""},
		{"header only", "年度,団体コード,項目ID,値\n", 0, 0, "", ""},
		{"header only, no newline", "年度,団体コード,項目ID,値", 0, 0, "", ""},
		{"header and blank lines", "\ufeff年度,団体コード,項目ID,値\r\n\r\n\n", 0, 0, "", ""},
		{"empty file", "", 0, 1, "E014", "1行目"},
		{"no 年度 column", "団体コード,値\n312011,3\n", 0, 1, "E007", "1行目"},
		{"unreadable year", "年度,団体コード\n令和八年,312011\n", 0, 2, "E014", "2行目 年度列"},
		{"blank year", "年度,団体コード\n,312011\n", 0, 2, "E014", "2行目 年度列"},
		{"zero", "年度,団体コード\n0,312011\n", 0, 2, "E014", "2行目 年度列"},
		{"short row", "団体コード,値,年度\n312011\n", 0, 2, "E014", "2行目 年度列"},
		{"broken quote", "年度,団体コード\n\"2026,312011\n", 0, 2, "E014", "2行目"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fy, line, p := loaders.CSVFirstYear([]byte(tc.csv))
			if fy != tc.fy || line != tc.line {
				t.Errorf("year %d line %d, want %d at %d", fy, line, tc.fy, tc.line)
			}
			switch {
			case tc.code == "" && p != nil:
				t.Errorf("problem %+v", p)
			case tc.code != "" && (p == nil || p.Code != tc.code || p.Cell != tc.cell || p.MessageJA == "" || p.MessageEN == ""):
				t.Errorf("problem %+v, want %s at %s", p, tc.code, tc.cell)
			}
		})
	}
}

// ReadPopulation never reads an unreadable 総人口 as 0 and keeps 65+ ≤ total: the row's own, or the
// total known where the row gives none.
func TestReadPopulationTotals(t *testing.T) {
	recorded := map[string]int64{"312011": 183269}
	total := func(code string) (int64, bool) { n, ok := recorded[code]; return n, ok }
	for _, tc := range []struct {
		name, csv string
		total     func(string) (int64, bool)
		cell      string // the one problem's place; "" accepted
		want      int64  // the row's Total when accepted (0: not given)
	}{
		{"no column, no known total", "年度,団体コード,基準日,第1号被保険者数\n2026,312011,2025/3/31,999999\n", nil, "", 0},
		{"no column, within the known total", "年度,団体コード,基準日,第1号被保険者数\n2026,312011,2025/3/31,183269\n", total, "", 0},
		{"no column, beyond the known total", "年度,団体コード,基準日,第1号被保険者数\n2026,312011,2025/3/31,183270\n", total, "2行目 第1号被保険者数列", 0},
		{"no column, entity without a known total", "年度,団体コード,基準日,第1号被保険者数\n2026,312029,2025/3/31,183270\n", total, "", 0},
		{"blank cell, beyond the known total", "年度,団体コード,基準日,第1号被保険者数,総人口\n2026,312011,2025/3/31,183270,\u3000\n", total, "2行目 第1号被保険者数列", 0},
		{"own total", "年度,団体コード,基準日,第1号被保険者数,総人口\n2026,312011,2025/3/31,190000,\"２００,０００\"\n", total, "", 200000},
		{"own total equal", "年度,団体コード,基準日,第1号被保険者数,総人口\n2026,312011,2025/3/31,7,7\n", total, "", 7},
		{"own total below 65+", "年度,団体コード,基準日,第1号被保険者数,総人口\n2026,312011,2025/3/31,8,7\n", nil, "2行目 第1号被保険者数列", 0},
		{"unreadable total", "年度,団体コード,基準日,第1号被保険者数,総人口\n2026,312011,2025/3/31,8,約20万\n", nil, "2行目 総人口列", 0},
		{"fractional total", "年度,団体コード,基準日,第1号被保険者数,総人口\n2026,312011,2025/3/31,8,10.5\n", nil, "2行目 総人口列", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := loaders.ReadPopulation("pop.csv", []byte(tc.csv), nil, tc.total)
			if tc.cell == "" {
				if err != nil || len(rows) != 1 || rows[0].Total != tc.want {
					t.Fatalf("%v %+v, want total %d", err, rows, tc.want)
				}
				return
			}
			ps := problems(t, err)
			if len(ps) != 1 || ps[0].Cell != tc.cell || ps[0].Code != loaders.ErrCSV || ps[0].File != "pop.csv" {
				t.Errorf("%+v, want one E014 at %s", ps, tc.cell)
			}
		})
	}
}

func TestNoRowsWarning(t *testing.T) {
	w := loaders.NoRowsWarning("f.csv")
	if w.Code != "W002" || w.Place() != "f.csv: 2行目" || w.MessageJA != "データ行がありません（0行）。見出し行だけのファイルとして受け付けました（読み込んだ値はありません）。" {
		t.Errorf("%+v", w)
	}
}
