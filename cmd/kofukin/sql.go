package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/marcboeker/go-duckdb"

	"github.com/kofukin/kofukin/store"
)

// cmdSQL runs one query against the store opened read-only and prints the rows (TSV, CSV or JSON
// lines): for analysts who need to look behind a figure. DuckDB refuses writes, file access and
// several statements.
func cmdSQL(ctx context.Context, a *app, args []string) error {
	fs := a.flags("sql")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	format := fs.String("format", "tsv", "output: tsv (\\t \\n \\r \\\\ escaped, NULL empty), csv (RFC 4180, NULL empty) or json (one object per row)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &exitError{code: 2, msg: `sql: give one query, e.g. kofukin sql "SELECT * FROM runs ORDER BY id"`}
	}
	out := bufio.NewWriter(a.stdout)
	var w rowWriter
	switch *format {
	case "tsv":
		w = &tsvWriter{w: out}
	case "csv":
		w = &csvWriter{w: csv.NewWriter(out)}
	case "json":
		w = &jsonWriter{w: out}
	default:
		return &exitError{code: 2, msg: fmt.Sprintf("sql: --format %q: use tsv, csv or json", *format)}
	}
	if err := needDB("sql", *db); err != nil {
		return err
	}
	ro, err := store.OpenReadOnly(ctx, *db)
	if err != nil {
		return openError(*db, err)
	}
	defer ro.Close()
	err = ro.Query(ctx, fs.Arg(0), func(cols []store.Column, vals []any) error {
		if vals == nil {
			return w.header(cols)
		}
		return w.row(cols, vals)
	})
	if ferr := w.flush(); err == nil {
		err = ferr
	}
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		msg := err.Error()
		for _, refused := range []string{"read-only mode", "disabled", "multiple statements", "has been locked"} {
			if strings.Contains(msg, refused) {
				return &exitError{code: 1, msg: "sql: 読み取り専用です。1つの SELECT 文だけを実行できます（書き込み・ファイルアクセス・複数の文は不可）。/ read-only: one SELECT statement only (no writes, no file access, no multiple statements)\n  " + msg}
			}
		}
		return &exitError{code: 1, msg: "sql: " + msg}
	}
	return nil
}

// rowWriter prints a query's result in one format.
type rowWriter interface {
	header(cols []store.Column) error
	row(cols []store.Column, vals []any) error
	flush() error
}

// tsvWriter writes tab-separated values: a header line of column names, then one line per row;
// in names and values a backslash, tab, newline and carriage return are written \\ \t \n \r, and
// NULL is an empty field.
type tsvWriter struct{ w io.Writer }

var tsvEscape = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

func (t *tsvWriter) line(cells []string) error {
	for i, c := range cells {
		cells[i] = tsvEscape.Replace(c)
	}
	_, err := io.WriteString(t.w, strings.Join(cells, "\t")+"\n")
	return err
}

func (t *tsvWriter) header(cols []store.Column) error { return t.line(columnNames(cols)) }

func (t *tsvWriter) row(cols []store.Column, vals []any) error { return t.line(texts(cols, vals)) }

func (t *tsvWriter) flush() error { return nil }

// csvWriter writes RFC 4180 CSV through encoding/csv: a header row, then one record per row; NULL
// is an empty field.
type csvWriter struct{ w *csv.Writer }

func (c *csvWriter) header(cols []store.Column) error { return c.w.Write(columnNames(cols)) }

func (c *csvWriter) row(cols []store.Column, vals []any) error { return c.w.Write(texts(cols, vals)) }

func (c *csvWriter) flush() error { c.w.Flush(); return c.w.Error() }

// jsonWriter writes JSON lines: one object per row, on its own line, keys in column order (a name
// repeated in the result gets _1, _2 …); NULL is null, numbers are numbers (a DECIMAL with its
// exact digits), times are RFC 3339 strings, lists and structs are arrays and objects.
type jsonWriter struct {
	w    io.Writer
	keys [][]byte
}

func (j *jsonWriter) header(cols []store.Column) error {
	used := map[string]bool{}
	for _, c := range cols {
		used[c.Name] = true
	}
	seen := map[string]bool{}
	for _, c := range cols {
		name := c.Name
		for n := 1; seen[name]; n++ {
			if cand := fmt.Sprintf("%s_%d", c.Name, n); !used[cand] {
				name = cand
			}
		}
		seen[name], used[name] = true, true
		k, err := marshalJSON(name)
		if err != nil {
			return err
		}
		j.keys = append(j.keys, k)
	}
	return nil
}

func (j *jsonWriter) row(cols []store.Column, vals []any) error {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(j.keys[i])
		b.WriteByte(':')
		enc, err := marshalJSON(jsonValue(cols[i].Type, v))
		if err != nil {
			return fmt.Errorf("column %s: %w", cols[i].Name, err)
		}
		b.Write(enc)
	}
	b.WriteString("}\n")
	_, err := j.w.Write(b.Bytes())
	return err
}

func (j *jsonWriter) flush() error { return nil }

func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func columnNames(cols []store.Column) []string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}

func texts(cols []store.Column, vals []any) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = valueText(cols[i].Type, v)
	}
	return out
}

// valueText is a value as text: NULL empty, a DECIMAL its exact decimal digits (4.00), a
// timestamp RFC 3339 in UTC (2026-11-21T09:30:00Z), a DATE 2026-11-21, a TIME 09:30:00, a
// UUID its canonical form, a BLOB its bytes with those outside printable ASCII as \xHH, a list,
// struct or map as JSON.
func valueText(typ string, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return fmt.Sprint(x)
	case float32:
		return floatText(float64(x), 32)
	case float64:
		return floatText(x, 64)
	case *big.Int:
		return x.String()
	case duckdb.Decimal:
		return decimalText(x)
	case time.Time:
		return timeText(typ, x)
	case []byte:
		if typ == "UUID" && len(x) == 16 {
			return uuidText(x)
		}
		return blobText(x)
	case duckdb.Interval:
		return intervalText(x)
	case []any, map[string]any, duckdb.Map:
		b, err := marshalJSON(jsonValue("", x))
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}

// jsonValue is a value as encoding/json should write it.
func jsonValue(typ string, v any) any {
	switch x := v.(type) {
	case nil, string, bool, int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return x
	case float32, float64:
		f := reflectFloat(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return valueText(typ, x) // JSON has no NaN or infinity
		}
		return json.Number(valueText(typ, x))
	case *big.Int:
		return json.Number(x.String())
	case duckdb.Decimal:
		return json.Number(decimalText(x))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue("", e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue("", e)
		}
		return out
	case duckdb.Map:
		type pair struct {
			Key   any `json:"key"`
			Value any `json:"value"`
		}
		out := make([]pair, 0, len(x))
		for k, e := range x {
			out = append(out, pair{jsonValue("", k), jsonValue("", e)})
		}
		sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i].Key) < fmt.Sprint(out[j].Key) })
		return out
	}
	return valueText(typ, v)
}

func reflectFloat(v any) float64 {
	if f, ok := v.(float32); ok {
		return float64(f)
	}
	return v.(float64)
}

// decimalText writes a DECIMAL exactly from its unscaled integer and scale: 400 at scale 2 is 4.00,
// −5 at scale 2 is -0.05.
func decimalText(d duckdb.Decimal) string {
	if d.Value == nil {
		return ""
	}
	digits := new(big.Int).Abs(d.Value).String()
	sign := ""
	if d.Value.Sign() < 0 {
		sign = "-"
	}
	scale := int(d.Scale)
	if scale == 0 {
		return sign + digits
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
}

// floatText writes a binary float in the fewest digits that read back to it, without an exponent
// unless it is very large or very small; nan, inf and -inf as DuckDB writes them.
func floatText(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

func timeText(typ string, t time.Time) string {
	switch typ {
	case "DATE":
		return t.Format(time.DateOnly)
	case "TIME":
		return t.Format("15:04:05.999999")
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func uuidText(b []byte) string {
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func blobText(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f && c != '\\' {
			s.WriteByte(c)
		} else {
			fmt.Fprintf(&s, `\x%02X`, c)
		}
	}
	return s.String()
}

// intervalText writes an INTERVAL as an ISO 8601 duration: P1Y2M3DT4H5M6.000007S.
func intervalText(iv duckdb.Interval) string {
	var s strings.Builder
	s.WriteString("P")
	if y, m := iv.Months/12, iv.Months%12; y != 0 || m != 0 {
		if y != 0 {
			fmt.Fprintf(&s, "%dY", y)
		}
		if m != 0 {
			fmt.Fprintf(&s, "%dM", m)
		}
	}
	if iv.Days != 0 {
		fmt.Fprintf(&s, "%dD", iv.Days)
	}
	if iv.Micros != 0 {
		us := iv.Micros
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		h, m := us/3_600_000_000, us/60_000_000%60
		sec := strconv.FormatInt(us/1_000_000%60, 10)
		if frac := us % 1_000_000; frac != 0 {
			sec += "." + strings.TrimRight(fmt.Sprintf("%06d", frac), "0")
		}
		s.WriteString("T")
		if h != 0 {
			fmt.Fprintf(&s, "%s%dH", sign, h)
		}
		if m != 0 {
			fmt.Fprintf(&s, "%s%dM", sign, m)
		}
		if sec != "0" {
			fmt.Fprintf(&s, "%s%sS", sign, sec)
		}
	}
	if s.Len() == 1 {
		return "PT0S"
	}
	return s.String()
}
