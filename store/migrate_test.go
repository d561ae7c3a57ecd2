package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/marcboeker/go-duckdb"
)

// A database written before migration 004 by the concurrent-upload bug (the same version twice,
// several versions current) is repaired when opened: versions renumbered in the order received,
// only the newest current, and from then on the database refuses a repeated version.
func TestMigration004RepairsConcurrentUploadDamage(t *testing.T) {
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
	for v, name := range map[int]string{1: "001_init.sql", 2: "002_reference_updates.sql", 3: "003_service.sql"} {
		body, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, ?, now())`, v, name); err != nil {
			t.Fatal(err)
		}
	}
	// What ten concurrent uploads left: versions {1, 2,2,2, 3, 4,4} with five current, as reported.
	rows := []struct {
		id      int
		version int
		status  string
	}{{1, 1, "superseded"}, {2, 2, "current"}, {3, 2, "current"}, {4, 2, "superseded"}, {5, 3, "current"}, {6, 4, "current"}, {7, 4, "current"}}
	for _, r := range rows {
		if _, err := db.Exec(`INSERT INTO submissions VALUES (?, 2026, '312011', 'municipality', 'survey', 'f.xlsx', ?, 1, now(), ?, ?, NULL, 0, NULL)`,
			r.id, "sha"+string(rune('a'+r.id)), r.version, r.status); err != nil {
			t.Fatal(err)
		}
	}
	// Another entity, written correctly, must not change.
	for _, r := range [][3]any{{8, 1, "superseded"}, {9, 2, "current"}} {
		if _, err := db.Exec(`INSERT INTO submissions VALUES (?, 2026, '312029', 'municipality', 'survey', 'g.xlsx', 'x', 1, now(), ?, ?, NULL, 0, NULL)`, r[0], r[1], r[2]); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	c.Close()

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got := map[int][2]any{}
	rs, err := st.DB.Query(`SELECT id, version, status FROM submissions ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var id, v int
		var s string
		if err := rs.Scan(&id, &v, &s); err != nil {
			t.Fatal(err)
		}
		got[id] = [2]any{v, s}
	}
	rs.Close()
	want := map[int][2]any{1: {1, "superseded"}, 2: {2, "superseded"}, 3: {3, "superseded"}, 4: {4, "superseded"}, 5: {5, "superseded"}, 6: {6, "superseded"}, 7: {7, "current"},
		8: {1, "superseded"}, 9: {2, "current"}}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("submission %d: version/status %v, want %v", id, got[id], w)
		}
	}
	if _, err := st.DB.Exec(`INSERT INTO submissions (id, fiscal_year, entity_code, level, kind, file_name, sha256, size_bytes, received_at, version, status, answer_count)
		VALUES (99, 2026, '312011', 'municipality', 'survey', 'f.xlsx', 'z', 1, now(), 7, 'current', 0)`); err == nil {
		t.Error("a second row with version 7 of the same slot was accepted after the migration")
	}
}

// If a slot somehow held two current versions (written by hand, outside kofukin), the writer
// refuses to add a third rather than leave the slot ambiguous: the check before commit fails and
// nothing is written.
func TestWriterChecksOneCurrentBeforeCommit(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	meta := func(sha string) SubmissionMeta {
		return SubmissionMeta{FiscalYear: 2026, EntityCode: "312011", Level: "municipality", Kind: "survey", FileName: sha, SHA256: sha}
	}
	if _, err := st.AddSubmission(ctx, meta("a"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Exec(`INSERT INTO submissions (id, fiscal_year, entity_code, level, kind, file_name, sha256, size_bytes, received_at, version, status, answer_count)
		VALUES (100, 2026, '312011', 'municipality', 'survey', 'stray', 'stray', 0, now(), 2, 'current', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddSubmission(ctx, meta("b"), nil); err == nil {
		t.Fatal("a write over a slot with two current versions succeeded")
	}
	var n int
	st.DB.QueryRow(`SELECT count(*) FROM submissions WHERE entity_code = '312011'`).Scan(&n)
	if n != 2 {
		t.Errorf("%d rows after the refused write, want the 2 there were", n)
	}
}
