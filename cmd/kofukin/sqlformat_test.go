package main

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	_ "github.com/marcboeker/go-duckdb"
)

// sqlFixture is a database holding the values kofukin sql must print with care: text with tabs,
// newlines, carriage returns, backslashes, quotes and commas; the empty string and NULL;
// DECIMALs (money and points are DECIMAL in the store); timestamps, dates, doubles.
func sqlFixture(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "v.duckdb")
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE v (id INTEGER, txt VARCHAR, amount DECIMAL(9,2), at TIMESTAMP, d DATE, f DOUBLE, big HUGEINT)`,
		`INSERT INTO v VALUES
			(1, 'tab' || chr(9) || 'here', 4.00, TIMESTAMP '2026-11-21 09:30:00', DATE '2025-03-31', 0.1, 170141183460469231731687303715884105727),
			(2, 'two' || chr(10) || 'lines' || chr(13), -0.05, TIMESTAMP '2026-11-21 09:30:00.123456', NULL, 1e22, -1),
			(3, 'back\slash "quoted", comma', 1234567.89, NULL, NULL, NULL, NULL),
			(4, NULL, 0, NULL, NULL, -2.5, 0),
			(5, '', NULL, NULL, NULL, NULL, NULL)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestSQLFormats(t *testing.T) {
	db := sqlFixture(t)
	const query = `SELECT id, txt AS "the text", amount, at, d, f, big FROM v ORDER BY id`
	for _, tc := range []struct{ format, want string }{
		{"", "id\tthe text\tamount\tat\td\tf\tbig\n" +
			"1\ttab\\there\t4.00\t2026-11-21T09:30:00Z\t2025-03-31\t0.1\t170141183460469231731687303715884105727\n" +
			"2\ttwo\\nlines\\r\t-0.05\t2026-11-21T09:30:00.123456Z\t\t1e+22\t-1\n" +
			"3\tback\\\\slash \"quoted\", comma\t1234567.89\t\t\t\t\n" +
			"4\t\t0.00\t\t\t-2.5\t0\n" +
			"5\t\t\t\t\t\t\n"},
		{"tsv", "id\tthe text\tamount\tat\td\tf\tbig\n" +
			"1\ttab\\there\t4.00\t2026-11-21T09:30:00Z\t2025-03-31\t0.1\t170141183460469231731687303715884105727\n" +
			"2\ttwo\\nlines\\r\t-0.05\t2026-11-21T09:30:00.123456Z\t\t1e+22\t-1\n" +
			"3\tback\\\\slash \"quoted\", comma\t1234567.89\t\t\t\t\n" +
			"4\t\t0.00\t\t\t-2.5\t0\n" +
			"5\t\t\t\t\t\t\n"},
		{"csv", "id,the text,amount,at,d,f,big\n" +
			"1,tab\there,4.00,2026-11-21T09:30:00Z,2025-03-31,0.1,170141183460469231731687303715884105727\n" +
			"2,\"two\nlines\r\",-0.05,2026-11-21T09:30:00.123456Z,,1e+22,-1\n" +
			"3,\"back\\slash \"\"quoted\"\", comma\",1234567.89,,,,\n" +
			"4,,0.00,,,-2.5,0\n" +
			"5,,,,,,\n"},
		{"json", `{"id":1,"the text":"tab\there","amount":4.00,"at":"2026-11-21T09:30:00Z","d":"2025-03-31","f":0.1,"big":170141183460469231731687303715884105727}` + "\n" +
			`{"id":2,"the text":"two\nlines\r","amount":-0.05,"at":"2026-11-21T09:30:00.123456Z","d":null,"f":1e+22,"big":-1}` + "\n" +
			`{"id":3,"the text":"back\\slash \"quoted\", comma","amount":1234567.89,"at":null,"d":null,"f":null,"big":null}` + "\n" +
			`{"id":4,"the text":null,"amount":0.00,"at":null,"d":null,"f":-2.5,"big":0}` + "\n" +
			`{"id":5,"the text":"","amount":null,"at":null,"d":null,"f":null,"big":null}` + "\n"},
	} {
		t.Run("format "+tc.format, func(t *testing.T) {
			args := []string{"sql", "--db", db}
			if tc.format != "" {
				args = append(args, "--format", tc.format)
			}
			out, err := runCmd(t, nil, append(args, query)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if out != tc.want {
				t.Errorf("got\n%q\nwant\n%q", out, tc.want)
			}
		})
	}
}

// Values of other kinds, and what JSON cannot hold; repeated column names stay distinct in JSON.
func TestSQLOtherValues(t *testing.T) {
	db := sqlFixture(t)
	for _, tc := range []struct{ format, query, want string }{
		{"tsv", `SELECT CAST(-0.005 AS DECIMAL(4,3)) AS a, CAST(12 AS DECIMAL(18,0)) AS b, CAST(-123456789012345678901234567.89 AS DECIMAL(38,2)) AS c, true AS t, 'nan'::DOUBLE AS n, '-inf'::DOUBLE AS i, 1.5e-7 AS e`,
			"a\tb\tc\tt\tn\ti\te\n-0.005\t12\t-123456789012345678901234567.89\ttrue\tnan\t-inf\t1.5e-07\n"},
		{"json", `SELECT 'nan'::DOUBLE AS n, 'inf'::DOUBLE AS i`, `{"n":"nan","i":"inf"}` + "\n"},
		{"tsv", `SELECT TIME '09:30:00.25' AS t, TIMESTAMPTZ '2026-11-21 09:30:00+09' AS tz, INTERVAL '1 year 2 months 3 days 04:05:06.000007' AS iv, 'a\x5Cb\xFF'::BLOB AS bl, '4f1c8a52-3f0e-4c49-9d6c-1a2b3c4d5e6f'::UUID AS u`,
			"t\ttz\tiv\tbl\tu\n09:30:00.25\t2026-11-21T00:30:00Z\tP1Y2M3DT4H5M6.000007S\ta\\\\x5Cb\\\\xFF\t4f1c8a52-3f0e-4c49-9d6c-1a2b3c4d5e6f\n"},
		{"tsv", `SELECT [1, 2, NULL] AS l, {'k': 'tab' || chr(9), 'x': 1.50} AS s`,
			"l\ts\n[1,2,null]\t{\"k\":\"tab\\\\t\",\"x\":1.50}\n"},
		{"json", `SELECT [CAST(1.5 AS DECIMAL(4,2))] AS l, {'k': NULL} AS s`, `{"l":[1.50],"s":{"k":null}}` + "\n"},
		{"json", `SELECT 1 AS a, 2 AS a, 3 AS a_1`, `{"a":1,"a_2":2,"a_1":3}` + "\n"},
		{"csv", `SELECT * FROM v WHERE false`, "id,txt,amount,at,d,f,big\n"},
		{"json", `SELECT * FROM v WHERE false`, ""},
		{"tsv", `SELECT 1 AS "tab` + "\t" + `name"`, "tab\\tname\n1\n"},
	} {
		t.Run(tc.format+" "+tc.query, func(t *testing.T) {
			out, err := runCmd(t, nil, "sql", "--db", db, "--format", tc.format, tc.query)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if out != tc.want {
				t.Errorf("got\n%q\nwant\n%q", out, tc.want)
			}
		})
	}
	out, err := runCmd(t, nil, "sql", "--db", db, "--format", "xml", "SELECT 1")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 || out != "" {
		t.Errorf("--format xml: %v %q", err, out)
	}
}
