package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// kofukin sql cannot change the database or touch files: writes, COPY, file readers, ATTACH,
// extension installs, unlocking the settings and stacked statements are all refused, and the
// database is as before.
func TestSQLIsReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "k.duckdb")
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Submissions().Add(ctx, store.SubmissionMeta{FiscalYear: 2026, EntityCode: "312011", Level: "municipality", Kind: "survey", FileName: "a.xlsx", SHA256: "a"},
		[]store.AnswerRow{{EntityCode: "312011", Answer: loaders.Answer{ItemID: "P1-1-a", Text: "はい", Num: 1, Cell: "回答!F7"}}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	before := digest(t, db)
	secret := filepath.Join(dir, "secret.txt")
	os.WriteFile(secret, []byte("do not read"), 0o600)
	leak := filepath.Join(dir, "leak.csv")
	for _, q := range []string{
		"COMMIT; DELETE FROM answers WHERE submission_id = 1; SELECT 1",
		"DELETE FROM answers",
		"UPDATE submissions SET status = 'superseded'",
		"DROP TABLE answers",
		"INSERT INTO settings VALUES ('x', 'y')",
		"COPY (SELECT * FROM answers) TO '" + leak + "'",
		"SELECT * FROM read_text('" + secret + "')",
		"SELECT * FROM read_csv('" + secret + "')",
		"ATTACH '" + filepath.Join(dir, "other.duckdb") + "' AS other",
		"SET enable_external_access = true",
		"INSTALL httpfs",
	} {
		out, err := runCmd(t, nil, "sql", "--db", db, q)
		if err == nil {
			t.Errorf("%q was not refused:\n%s", q, out)
			continue
		}
		if strings.Contains(out, "do not read") {
			t.Errorf("%q read the file", q)
		}
	}
	for _, f := range []string{leak, filepath.Join(dir, "other.duckdb")} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s was written", f)
		}
	}
	if after := digest(t, db); after != before {
		t.Errorf("the database changed:\nbefore %s\nafter  %s", before, after)
	}
	out, err := runCmd(t, nil, "sql", "--db", db, "SELECT entity_code, value_text FROM answers")
	if err != nil || !strings.Contains(out, "entity_code\tvalue_text\n312011\tはい") {
		t.Errorf("a SELECT: %v\n%s", err, out)
	}
	if _, err := runCmd(t, nil, "sql", "--db", filepath.Join(dir, "missing.duckdb"), "SELECT 1"); err == nil {
		t.Error("sql on a missing database created one")
	} else if _, serr := os.Stat(filepath.Join(dir, "missing.duckdb")); serr == nil {
		t.Error("sql created the missing database")
	}
}
