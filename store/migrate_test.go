package store

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

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
	// A run that read version "2" (id 3), and a token issued two years ago.
	if _, err := db.Exec(`INSERT INTO run_inputs VALUES (1, 3, '312011', 'survey', 2, 'x')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO tokens VALUES ('h', 'id', 'ministry', '', 'old', CAST(now() AS TIMESTAMP) - INTERVAL 730 DAY, NULL)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	c.Close()

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got := map[int][2]any{}
	rs, err := st.pool.Query(`SELECT id, version, status FROM submissions ORDER BY id`)
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
	var v int
	if err := st.pool.QueryRow(`SELECT version FROM run_inputs WHERE run_id = 1 AND submission_id = 3`).Scan(&v); err != nil || v != 3 {
		t.Errorf("the run's input version is %d (%v), want 3 as renumbered", v, err)
	}
	var days float64
	if err := st.pool.QueryRow(`SELECT date_diff('day', now()::TIMESTAMP, expires_at) FROM tokens WHERE id = 'id'`).Scan(&days); err != nil || days < 29 {
		t.Errorf("an old token expires in %v days (%v): the upgrade must not lock it out at once", days, err)
	}
	if _, err := st.pool.Exec(`INSERT INTO submissions (id, fiscal_year, entity_code, level, kind, file_name, sha256, size_bytes, received_at, version, status, answer_count)
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
	if _, err := st.Submissions().Add(ctx, meta("a"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.pool.Exec(`INSERT INTO submissions (id, fiscal_year, entity_code, level, kind, file_name, sha256, size_bytes, received_at, version, status, answer_count)
		VALUES (100, 2026, '312011', 'municipality', 'survey', 'stray', 'stray', 0, now(), 2, 'current', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Submissions().Add(ctx, meta("b"), nil); err == nil {
		t.Fatal("a write over a slot with two current versions succeeded")
	}
	var n int
	st.pool.QueryRow(`SELECT count(*) FROM submissions WHERE entity_code = '312011'`).Scan(&n)
	if n != 2 {
		t.Errorf("%d rows after the refused write, want the 2 there were", n)
	}
}

// A write that conflicts with another transaction (here one holding the slot's current row) is
// retried, not lost: it succeeds once the other commits.
func TestWriterRetriesAConflict(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "k.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	meta := func(sha string) SubmissionMeta {
		return SubmissionMeta{FiscalYear: 2026, EntityCode: "312011", Level: "municipality", Kind: "survey", FileName: sha, SHA256: sha}
	}
	first, err := st.Submissions().Add(ctx, meta("a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := st.pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION; UPDATE submissions SET status = 'current' WHERE id = ?`, first.SubmissionID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var res IngestResult
	go func() {
		var err error
		res, err = st.Submissions().Add(ctx, meta("b"), nil)
		done <- err
	}()
	time.Sleep(30 * time.Millisecond) // the writer's first attempt meets the held row
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the conflicting write was lost: %v", err)
	}
	if res.Status != Accepted || res.Version != 2 {
		t.Errorf("result %+v, want accepted version 2", res)
	}
}

// A database scored before migration 011 keeps its runs: the score tables lose their PRIMARY KEYs
// and keep every row, value and column type (得点率 exact to nine places, NOT NULL columns).
func TestMigration011KeepsOldRuns(t *testing.T) {
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
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	for v, name := range names {
		if v+1 > 10 {
			break
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, ?, now())`, v+1, strings.TrimPrefix(name, "migrations/")); err != nil {
			t.Fatal(err)
		}
	}
	// Two runs' rows, as a score run of the code before wrote them.
	for _, q := range []string{
		`INSERT INTO indicator_grant_scores VALUES (1, '312011', 'P1-1', 'G1', 'suishin', 3.50, 5.00), (2, '312011', 'P1-1', 'G1', 'suishin', 4.00, 5.00)`,
		`INSERT INTO goal_scores VALUES (1, '312011', 'G1', 'suishin', 3.50, 5.00), (2, '312011', 'G1', 'suishin', 4.00, 5.00)`,
		`INSERT INTO grant_scores VALUES (1, '312011', 'suishin', 3.50, 5.00), (2, '312011', 'suishin', 4.00, 5.00)`,
		`INSERT INTO score_totals VALUES (1, '312011', 'municipality', 3.50, 5.00, 0.700000000, 1, TRUE), (2, '312011', 'municipality', 4.00, 6.00, 0.666666667, 1, FALSE)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	c.Close()

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var got []string
	rows, err := st.pool.Query(`SELECT 'igs ' || run_id || ' ' || entity_code || ' ' || indicator_id || ' ' || goal_id || ' ' || grant_id || ' ' || points || ' ' || max_points FROM indicator_grant_scores
		UNION ALL SELECT 'goal ' || run_id || ' ' || entity_code || ' ' || goal_id || ' ' || grant_id || ' ' || points || ' ' || max_points FROM goal_scores
		UNION ALL SELECT 'grant ' || run_id || ' ' || entity_code || ' ' || grant_id || ' ' || points || ' ' || max_points FROM grant_scores
		UNION ALL SELECT 'total ' || run_id || ' ' || entity_code || ' ' || level || ' ' || total || ' ' || max_total || ' ' || rate || ' ' || national_rank || ' ' || submitted FROM score_totals
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"goal 1 312011 G1 suishin 3.50 5.00", "goal 2 312011 G1 suishin 4.00 5.00",
		"grant 1 312011 suishin 3.50 5.00", "grant 2 312011 suishin 4.00 5.00",
		"igs 1 312011 P1-1 G1 suishin 3.50 5.00", "igs 2 312011 P1-1 G1 suishin 4.00 5.00",
		"total 1 312011 municipality 3.50 5.00 0.700000000 1 true", "total 2 312011 municipality 4.00 6.00 0.666666667 1 false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after migration 011:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var keys, notNull int
	if err := st.pool.QueryRow(`SELECT count(*) FILTER (WHERE constraint_type = 'PRIMARY KEY'), count(*) FILTER (WHERE constraint_type = 'NOT NULL')
		FROM duckdb_constraints() WHERE table_name IN ('indicator_grant_scores', 'goal_scores', 'grant_scores', 'score_totals')`).Scan(&keys, &notNull); err != nil {
		t.Fatal(err)
	}
	// 7 + 6 + 5 + 8 columns, every one NOT NULL.
	if keys != 0 || notNull != 26 {
		t.Errorf("the score tables have %d primary keys and %d NOT NULL columns, want 0 and 26", keys, notNull)
	}
}
