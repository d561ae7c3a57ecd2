package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// The equity page's charts, drawn on the server as SVG (no script): the tile-grid map of the 47
// prefectures and the concentration curve. Every text goes through template.HTMLEscapeString.

// tileGrid places each prefecture (two-digit number) on a 13 × 10 grid (column, row) in the usual
// tile-grid layout of Japan: 北海道 at the top right, 東北 down the right edge, then 関東 and 中部,
// 近畿, 中国・四国 and 九州 towards the left, 沖縄 at the bottom left.
var tileGrid = map[string][2]int{
	"01": {12, 0}, "02": {12, 1}, "03": {12, 2}, "04": {12, 3}, "05": {11, 2}, "06": {11, 3}, "07": {12, 4},
	"08": {11, 5}, "09": {11, 4}, "10": {10, 4}, "11": {10, 5}, "12": {11, 6}, "13": {10, 6}, "14": {10, 7},
	"15": {10, 3}, "16": {9, 3}, "17": {8, 3}, "18": {7, 4}, "19": {9, 5}, "20": {9, 4}, "21": {8, 4},
	"22": {9, 6}, "23": {8, 5}, "24": {7, 5}, "25": {6, 5}, "26": {6, 4}, "27": {5, 5}, "28": {5, 4},
	"29": {5, 6}, "30": {5, 7}, "31": {4, 4}, "32": {3, 4}, "33": {4, 5}, "34": {3, 5}, "35": {2, 5},
	"36": {4, 7}, "37": {4, 6}, "38": {3, 6}, "39": {3, 7}, "40": {1, 6}, "41": {0, 6}, "42": {0, 7},
	"43": {1, 7}, "44": {2, 6}, "45": {2, 7}, "46": {1, 8}, "47": {0, 9},
}

// mapPalette are the five classes of the map, light to dark; mapNoData is a prefecture without a value.
var mapPalette = []string{"#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"}

const mapNoData = "#d9d9d9"

// tile is one prefecture on the map: its number, name, value (nil: none) and whether to outline it.
type tile struct {
	Pref, Name string
	Value      *float64
	Mark       bool
}

// shortPrefName is a prefecture's name without 都・府・県 (北海道 stays whole), for a tile.
func shortPrefName(name string) string {
	if name == "北海道" {
		return name
	}
	for _, suffix := range []string{"県", "府", "都"} {
		if s, ok := strings.CutSuffix(name, suffix); ok && s != "" {
			return s
		}
	}
	return name
}

// tileMapSVG draws the 47 tiles coloured in five equal classes between the smallest and largest
// value, with a legend; each tile's <title> gives its name and value (format). title names the
// measure.
func tileMapSVG(tiles []tile, title string, format func(float64) string) template.HTML {
	const size, gap, left, top = 46, 3, 10, 34
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, t := range tiles {
		if t.Value != nil {
			lo, hi = math.Min(lo, *t.Value), math.Max(hi, *t.Value)
		}
	}
	class := func(v float64) int {
		if hi <= lo {
			return 2
		}
		k := int((v - lo) / (hi - lo) * float64(len(mapPalette)))
		return min(max(k, 0), len(mapPalette)-1)
	}
	w, h := left+13*(size+gap)+10, top+10*(size+gap)+70
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" class="tilemap">`, w, h, w, h)
	fmt.Fprintf(&b, `<title>%s</title><text x="%d" y="20" font-size="15" font-weight="bold">%s</text>`, esc(title), left, esc(title))
	for _, t := range tiles {
		pos, ok := tileGrid[t.Pref]
		if !ok {
			continue
		}
		x, y := left+pos[0]*(size+gap), top+pos[1]*(size+gap)
		fill, text, ink := mapNoData, "データなし", "#222"
		if t.Value != nil {
			c := class(*t.Value)
			fill, text = mapPalette[c], format(*t.Value)
			if c >= 3 {
				ink = "#fff"
			}
		}
		stroke, width := "#fff", 1
		if t.Mark {
			stroke, width = "#d62728", 3
		}
		fmt.Fprintf(&b, `<g class="tile" data-pref="%s"><title>%s：%s</title><rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="%s" stroke-width="%d"/>`,
			esc(t.Pref), esc(t.Name), esc(text), x, y, size, size, fill, stroke, width)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="middle" fill="%s">%s</text></g>`, x+size/2, y+size/2+4, ink, esc(shortPrefName(t.Name)))
	}
	// The legend: the five classes' ranges, and no data.
	ly := top + 10*(size+gap) + 8
	for i, c := range mapPalette {
		from, to := lo, hi
		if hi > lo {
			from, to = lo+(hi-lo)*float64(i)/5, lo+(hi-lo)*float64(i+1)/5
		}
		label := format(from) + "～" + format(to)
		if math.IsInf(lo, 1) {
			label = "—"
		}
		x := left + (i%3)*200
		y := ly + (i/3)*22
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="16" height="16" fill="%s" stroke="#999"/><text x="%d" y="%d" font-size="12">%s</text>`, x, y, c, x+22, y+13, esc(label))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="16" height="16" fill="%s" stroke="#999"/><text x="%d" y="%d" font-size="12">データなし</text>`, left+400, ly+22, mapNoData, left+422, ly+35)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// curveSVG draws a concentration curve: the running shares xs (65+) and ys (yen), from (0, 0),
// against the line of equality, with axes in percent and the index in the title.
func curveSVG(xs, ys []float64, title string) template.HTML {
	const w, h, l, r, t, bm = 460, 440, 56, 16, 36, 52
	pw, ph := float64(w-l-r), float64(h-t-bm)
	px := func(x float64) float64 { return float64(l) + x*pw }
	py := func(y float64) float64 { return float64(t) + (1-y)*ph }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" class="curve">`, w, h, w, h)
	fmt.Fprintf(&b, `<title>%s</title><text x="%d" y="20" font-size="13" font-weight="bold">%s</text>`, esc(title), l-40, esc(title))
	for i := 0; i <= 4; i++ {
		v := float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e5e5e5"/>`, f1(px(0)), f1(py(v)), f1(px(1)), f1(py(v)))
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e5e5e5"/>`, f1(px(v)), f1(py(0)), f1(px(v)), f1(py(1)))
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="11" text-anchor="end">%d%%</text>`, f1(px(0)-4), f1(py(v)+4), i*25)
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="11" text-anchor="middle">%d%%</text>`, f1(px(v)), f1(py(0)+16), i*25)
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%s" height="%s" fill="none" stroke="#555"/>`, l, t, f1(pw), f1(ph))
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#888" stroke-dasharray="5 4"><title>均等線（65歳以上人口に比例した配分）</title></line>`, f1(px(0)), f1(py(0)), f1(px(1)), f1(py(1)))
	pts := []string{f1(px(0)) + "," + f1(py(0))}
	for i := range xs {
		pts = append(pts, f1(px(xs[i]))+","+f1(py(ys[i])))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#c0392b" stroke-width="2"><title>集中曲線（高齢化率の低い市町村から累積）</title></polyline>`, strings.Join(pts, " "))
	fmt.Fprintf(&b, `<text x="%s" y="%d" font-size="12" text-anchor="middle">65歳以上人口の累積割合（高齢化率の低い市町村から）</text>`, f1(px(0.5)), h-12)
	fmt.Fprintf(&b, `<text x="14" y="%s" font-size="12" text-anchor="middle" transform="rotate(-90 14 %s)">交付額の累積割合</text>`, f1(py(0.5)), f1(py(0.5)))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// f1 renders a coordinate with one decimal (the same bytes for the same inputs).
func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// esc escapes text for SVG (HTML) content and attributes.
func esc(s string) string { return template.HTMLEscapeString(s) }
