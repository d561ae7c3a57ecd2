package store

import (
	"context"
	"database/sql"
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/marcboeker/go-duckdb"
)

// A typed number becomes the decimal it reads as, rounded half away from zero to 6 places.
func TestValueDecimal(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want int64 // millionths
	}{
		{32.3, 32_300_000}, {31.8, 31_800_000}, {0.5, 500_000}, {1, 1_000_000}, {0, 0}, {-2.6, -2_600_000},
		{0.1234565, 123_457}, {-0.1234565, -123_457}, {0.1234564999, 123_456}, {999_999_999_999.99, 999_999_999_999_990_000},
	} {
		got, err := valueDecimal(c.v)
		if err != nil {
			t.Errorf("%v: %v", c.v, err)
			continue
		}
		d := got.(duckdb.Decimal)
		if d.Width != 18 || d.Scale != 6 || d.Value.Int64() != c.want {
			t.Errorf("%v → %+v, want %d millionths", c.v, d, c.want)
		}
	}
	for _, v := range []float64{1e12, -1e12, math.NaN(), math.Inf(1)} {
		if _, err := valueDecimal(v); err == nil {
			t.Errorf("%v was accepted", v)
		}
	}
}

// The fast path of valueDecimal (whole millionths, no rounding) gives what exact rational
// arithmetic gives, for numbers on both sides of its bounds (12 digits before the point, 6 after).
func TestValueDecimalFastPathIsExact(t *testing.T) {
	vals := []float64{0, 1, -1, 0.000001, -0.000001, 0.0000005, 0.0000015, 123.456789, 45.5, 100, 1234,
		999_999_999_999.999999, 99_999_999_999.5, 123_456_789_012, 0.1 + 0.2, 1e-7, 5e-7, -5e-7, 12.3456785}
	for i := 1; i < 5000; i++ {
		vals = append(vals, float64(i)*0.37, -float64(i)/7, float64(i*i)*1e6/3, float64(i)/1e6)
	}
	for _, v := range vals {
		got, err := valueDecimal(v)
		want, werr := valueDecimalRat(strconv.FormatFloat(v, 'f', -1, 64))
		if (err == nil) != (werr == nil) {
			t.Fatalf("%v: %v, exact %v", v, err, werr)
		}
		if err != nil {
			continue
		}
		if g, w := got.(duckdb.Decimal), want.(duckdb.Decimal); g.Width != w.Width || g.Scale != w.Scale || g.Value.Cmp(w.Value) != 0 {
			t.Fatalf("%v → %+v, exact %+v", v, g, w)
		}
	}
}

// Migration 007 turns a database written with DOUBLE answers and rates into exact decimals: the
// numbers typed (from the stored text), yes/no and choice positions, and 得点率 recomputed from the
// exact totals.
func TestMigration007ExactDecimals(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	c, err := duckdb.NewConnector(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	names := []string{"001_init.sql", "002_reference_updates.sql", "003_service.sql", "004_integrity.sql", "005_slot_version_index.sql", "006_token_expiry.sql"}
	for i, name := range names {
		body, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, ?, now())`, i+1, name); err != nil {
			t.Fatal(err)
		}
	}
	// What the DOUBLE columns held: 32.3 and 31.8 as binary fractions, yes (1), a choice's position
	// 2 whose text "3" is not that number, a blank, and a number too large for DECIMAL(18,6).
	for _, a := range []struct {
		item      string
		text, num any
	}{{"A", "32.3", 32.3}, {"B", "31.8", 31.8}, {"C", "はい", 1.0}, {"D", "3", 2.0}, {"E", nil, nil}, {"F", "1e13", 1e13}} {
		if _, err := db.Exec(`INSERT INTO answers VALUES (1, '000001', ?, ?, ?, 'x')`, a.item, a.text, a.num); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO score_totals VALUES (1, '000001', 'municipality', 8, 13, 8.0/13, 1, TRUE), (1, '000002', 'municipality', 0, 0, 0, 2, FALSE)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	c.Close()

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var got string
	if err := st.pool.QueryRow(`SELECT string_agg(item_id || '=' || coalesce(CAST(value_num AS VARCHAR), 'NULL'), ' ' ORDER BY item_id) FROM answers`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := "A=32.300000 B=31.800000 C=1.000000 D=2.000000 E=NULL F=NULL"; got != want {
		t.Errorf("answers %s, want %s", got, want)
	}
	if err := st.pool.QueryRow(`SELECT CAST(sum(value_num) FILTER (WHERE item_id = 'A') - sum(value_num) FILTER (WHERE item_id = 'B') AS VARCHAR) FROM answers`).Scan(&got); err != nil || got != "0.500000" {
		t.Errorf("32.3 − 31.8 = %s (%v), want 0.500000", got, err)
	}
	if err := st.pool.QueryRow(`SELECT string_agg(CAST(rate AS VARCHAR), ' ' ORDER BY entity_code) FROM score_totals`).Scan(&got); err != nil || got != "0.615384615 0.000000000" {
		t.Errorf("rates %s (%v), want 8/13 = 0.615384615 and 0", got, err)
	}
}
