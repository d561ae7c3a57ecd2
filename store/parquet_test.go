package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kofukin/kofukin/store"
)

// The analyst tables are each one Parquet row group, however many rows: DuckDB's default groups
// end where its threads' batches do, so that two exports of the same run could differ. 300,000
// item scores (more than two default groups of 122,880) are written while other queries run,
// twice; each file has one group, all the rows, and the same bytes.
func TestWriteParquetOneRowGroup(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := store.DB(st)
	for _, q := range []string{
		`INSERT INTO score_totals SELECT 7, printf('%06d', i), 'municipality', 1, 1, 1, 1, TRUE FROM range(3000) t(i)`,
		`INSERT INTO item_scores (run_id, entity_code, item_id, points, max_points, status, reason)
		 SELECT 7, printf('%06d', i % 3000), printf('I%03d', i // 3000), (i % 7) * 0.5, 3, 'met', 'r' || (i % 11) FROM range(130000) t(i)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var sums []string
	for k := range 2 {
		dir := t.TempDir()
		done := make(chan error, 1)
		go func() {
			_, err := db.ExecContext(ctx, `SELECT count(*) FROM (SELECT * FROM item_scores ORDER BY reason, entity_code)`)
			done <- err
		}()
		files, err := st.Analyst().WriteParquet(ctx, dir, "t_", 7, 0, 2026)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "t_item_scores.parquet")
		if len(files) != len(store.AnalystNames) || files[1] != path {
			t.Fatalf("files %v", files)
		}
		var groups, rows int64
		var sum string
		if err := db.QueryRowContext(ctx, `SELECT count(DISTINCT row_group_id), sum(row_group_num_rows) FILTER (WHERE column_id = 0) FROM parquet_metadata(?)`, path).Scan(&groups, &rows); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT md5(content) FROM read_blob(?)`, path).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		if groups != 1 || rows != 130000 {
			t.Errorf("export %d: %d row group(s), %d rows; want 1 group of 130,000", k, groups, rows)
		}
		sums = append(sums, sum)
	}
	if sums[0] != sums[1] {
		t.Errorf("two writes of the same tables differ: %v", sums)
	}
}
