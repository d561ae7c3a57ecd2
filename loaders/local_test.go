package loaders

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func localProblems(t *testing.T, csv string) []Problem {
	t.Helper()
	_, err := ReadLocalIndicators("local.csv", []byte(csv), 2026, func(c string) bool { return strings.HasPrefix(c, "31") })
	var rj *Rejection
	if !errors.As(err, &rj) {
		t.Fatalf("want a rejection, got %v", err)
	}
	return rj.Problems
}

// TestLocalIndicatorsRead: a file as a user writes it — full-width brackets and % signs, a
// 5-digit code, a blank cell, a date in the Japanese era — read value by value.
func TestLocalIndicatorsRead(t *testing.T) {
	data := "年度,市町村コード,基準日,出典,高齢者の独居率（%）,JAGES 趣味の会参加率,所得段階第1段階の割合(％)\n" +
		"2026,312011,令和7年3月31日,鳥取市 日常生活圏域ニーズ調査,23.45%,31,\n" +
		"2026,31202,2025/3/31,米子市 独自集計,\"1,234.5\",,-0.000001\n"
	got, err := ReadLocalIndicators("local.csv", []byte(data), 2026, nil)
	if err != nil {
		t.Fatal(err)
	}
	date := time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC)
	want := []LocalValue{
		{2026, "312011", "高齢者の独居率", "%", "23.45", date, "鳥取市 日常生活圏域ニーズ調査", "2行目 高齢者の独居率(%)列"},
		{2026, "312011", "JAGES 趣味の会参加率", "", "31", date, "鳥取市 日常生活圏域ニーズ調査", "2行目 JAGES 趣味の会参加率列"},
		{2026, "312029", "高齢者の独居率", "%", "1234.5", date, "米子市 独自集計", "3行目 高齢者の独居率(%)列"},
		{2026, "312029", "所得段階第1段階の割合", "%", "-0.000001", date, "米子市 独自集計", "3行目 所得段階第1段階の割合(%)列"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d values, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !got[i].AsOf.Equal(want[i].AsOf) {
			t.Errorf("value %d: as of %v, want %v", i, got[i].AsOf, want[i].AsOf)
		}
		got[i].AsOf = want[i].AsOf
		if got[i] != want[i] {
			t.Errorf("value %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if CSVKind([]byte(data)) != CSVLocal {
		t.Errorf("CSVKind %q", CSVKind([]byte(data)))
	}
}

// TestLocalIndicatorsHostile: each bad file is rejected whole, every problem at its row and
// column, in Japanese.
func TestLocalIndicatorsHostile(t *testing.T) {
	head := "年度,市町村コード,基準日,出典,独居率（%）\n"
	for _, c := range []struct {
		name, csv string
		want      []string // cell: the Japanese message's start
	}{
		{"bad code", head + "2026,312011,2025-03-31,調査,20\n2026,312012,2025-03-31,調査,20\n2026,131016,2025-03-31,調査,20\n",
			[]string{"3行目 市町村コード列: 市町村コード「312012」は登録されていない", "4行目 市町村コード列: 市町村コード「131016」は登録されていない"}},
		{"bad number", head + "2026,312011,2025-03-31,調査,二十\n2026,312029,2025-03-31,調査,1e400\n2026,313254,2025-03-31,調査,0.1234567\n",
			[]string{"2行目 独居率(%)列: 数値として読み取れません（「二十」）", "3行目 独居率(%)列: 数値として", "4行目 独居率(%)列: 数値として"}},
		{"duplicate header", "年度,市町村コード,基準日,出典,独居率（%）,独居率(%),独居率(人)\n2026,312011,2025-03-31,調査,20,21,22\n",
			[]string{"1行目 6列目: 見出し「独居率(%)」が重複しています（5列目と同じ）", "1行目 7列目: 指標「独居率」が重複しています"}},
		{"duplicate row, bad date, no source, wrong year", head + "2026,312011,2025-03-31,調査,20\n2026,312011,2025-03-31,調査,20\n2026,312029,三月,調査,20\n2026,313254,2025-03-31,,20\n2025,313262,2025-03-31,調査,20\n",
			[]string{"3行目 市町村コード列: 市町村コード312011の行が重複しています（2行目と同じ）", "4行目 基準日列: 基準日を日付として読み取れません", "5行目 出典列: 出典が空です", "6行目 年度列: 年度が2026年度ではありません"}},
		{"no indicator, no source column", "年度,市町村コード,基準日\n2026,312011,2025-03-31\n", []string{"1行目: 列「出典」がありません"}},
		{"empty header", "年度,市町村コード,基準日,出典,,独居率\n2026,312011,2025-03-31,調査,1,2\n", []string{"1行目 5列目: 5列目の見出しが空です"}},
		{"huge", head + strings.Repeat("2026,312011,2025-03-31,調査,20\n", MaxCSVSize/30+1), []string{": ファイルが大きすぎます"}},
		{"too wide", "年度,市町村コード,基準日,出典" + strings.Repeat(",x", MaxCSVFields) + "\n", []string{"1行目: 1行目の列が多すぎます"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ps := localProblems(t, c.csv)
			var got []string
			for _, p := range ps {
				got = append(got, p.Cell+": "+p.MessageJA)
			}
			if len(got) != len(c.want) {
				t.Fatalf("problems:\n%s\nwant %d", strings.Join(got, "\n"), len(c.want))
			}
			for i, w := range c.want {
				if !strings.HasPrefix(got[i], w) && !strings.Contains(got[i], w) {
					t.Errorf("problem %d: %q, want %q", i, got[i], w)
				}
			}
		})
	}
	// Many indicator columns: refused above MaxLocalIndicators.
	var b bytes.Buffer
	b.WriteString("年度,市町村コード,基準日,出典")
	for i := 0; i <= MaxLocalIndicators; i++ {
		b.WriteString(",指標" + strings.Repeat("x", i%5) + string(rune('A'+i%26)) + string(rune('a'+i/26)))
	}
	b.WriteString("\n")
	ps := localProblems(t, b.String())
	if len(ps) != 1 || !strings.Contains(ps[0].MessageJA, "指標の列が多すぎます") {
		t.Errorf("%d indicator columns: %+v", MaxLocalIndicators+1, ps)
	}
}

// TestLocalKind: a population list headed 市町村コード instead of 団体コード is still a population
// list (refused for its missing column), not a local indicator 第1号被保険者数.
func TestLocalKind(t *testing.T) {
	for head, want := range map[string]string{
		"年度,市町村コード,基準日,出典,独居率\n":         CSVLocal,
		"年度,市町村コード,基準日,第1号被保険者数,出典\n":    CSVPopulation,
		"年度,センターコード,市町村コード,センター名,運営形態\n": CSVCentres,
		"年度,団体コード,基準日,第1号被保険者数\n":        CSVPopulation,
	} {
		if got := CSVKind([]byte(head)); got != want {
			t.Errorf("CSVKind(%q) = %q, want %q", head, got, want)
		}
	}
}

// TestParseDecimal: a local indicator's value is kept as typed, exactly (no float64 on the way:
// 12345678901.123456 would come back as …455), in its shortest text, at most six places and below
// 10¹²; a huge exponent is refused before it is expanded.
func TestParseDecimal(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"12345678901.123456", "12345678901.123456", true},
		{"999999999999.999999", "999999999999.999999", true},
		{"１,２３４.５０", "1234.5", true},
		{"1.5E+03", "1500", true},
		{"45%", "45", true},
		{"−2.50", "-2.5", true},
		{"-0.000", "0", true},
		{"0.1234567", "", false},
		{"1e12", "", false},
		{"-1000000000000", "", false},
		{"1e999999999", "", false},
		{"1e-999999999", "", false},
		{"多い", "", false},
		{"NaN", "", false},
	} {
		got, ok := ParseDecimal(c.in, 6, 1e12)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseDecimal(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
