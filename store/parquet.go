package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/marcboeker/go-duckdb"

	"github.com/kofukin/kofukin/internal/atomicfile"
)

// analystQuery is one analyst table's query and its arguments.
type analystQuery struct {
	sql  string
	args []any
}

// analystQueries are the tables written for analysts, one row per answer, score and amount of a
// run, ordered so that the same run gives the same files (queries/analyst_*.sql).
func analystQueries(scoreRun, allocRun int64, fy int) map[string]analystQuery {
	return map[string]analystQuery{
		"answers":     {analystAnswersSQL, []any{scoreRun, fy}},
		"item_scores": {analystItemScoresSQL, []any{scoreRun}},
		"scores":      {analystScoresSQL, []any{scoreRun}},
		"totals":      {analystTotalsSQL, []any{scoreRun}},
		"allocations": {analystAllocationsSQL, []any{allocRun}},
		// The equity view as of the allocation run (store/equity.go), every fiscal year scored by then.
		"equity": {withEquityBase(equityParquetSQL), []any{allocRun, allocRun, allocRun}},
	}
}

var (
	analystAnswersSQL     = query("analyst_answers.sql")
	analystItemScoresSQL  = query("analyst_item_scores.sql")
	analystScoresSQL      = query("analyst_scores.sql")
	analystTotalsSQL      = query("analyst_totals.sql")
	analystAllocationsSQL = query("analyst_allocations.sql")
)

// analystRowGroup is the row group size of the analyst tables' Parquet files: more rows than a
// table has, so that each is one group. DuckDB gathers a group's rows before writing it, as its
// sort of the rows (ORDER BY) already holds them all.
const analystRowGroup = "1000000000"

// AnalystNames lists the analyst tables in writing order.
var AnalystNames = []string{"answers", "item_scores", "scores", "totals", "allocations", "equity"}

// WriteParquet writes the analyst tables of a score run and an allocation run as Parquet files
// (DuckDB COPY) into dir, named prefix + table + ".parquet": COPY writes a temporary file in dir,
// which atomicfile syncs and renames into place. It returns the files written. Each table is
// one row group (analystRowGroup), so that the same run gives the same bytes: DuckDB cuts row
// groups of its default size where its threads' batches end, which depends on what else runs
// (the nation's 418,116 answers came out as groups of 122,880 + 122,880 + 122,880 + 49,476 rows
// in one export and 122,880 + 122,880 + 123,204 + 49,152 in another).
func (an *Analyst) WriteParquet(ctx context.Context, dir, prefix string, scoreRun, allocRun int64, fy int) ([]string, error) {
	qs := analystQueries(scoreRun, allocRun, fy)
	var out []string
	for _, name := range AnalystNames {
		final := filepath.Join(dir, prefix+name+".parquet")
		err := atomicfile.WriteWith(final, func(tmp string) error {
			// The query's values are bound; COPY … TO takes no parameter for its file, which is
			// quoted (quote.go).
			q := qs[name]
			_, err := an.s.db.ExecContext(ctx, `COPY (`+q.sql+`) TO `+quoteLiteral(tmp)+` (FORMAT PARQUET, COMPRESSION ZSTD, ROW_GROUP_SIZE `+analystRowGroup+`)`, q.args...)
			return err
		})
		if err != nil {
			return out, fmt.Errorf("write %s: %w", final, err)
		}
		out = append(out, final)
	}
	return out, nil
}

// WriteArrow writes the allocations of a run as an Arrow IPC file (atomically), read through
// DuckDB's Arrow interface (record batches, no row-by-row copy).
func (an *Analyst) WriteArrow(ctx context.Context, path string, scoreRun, allocRun int64, fy int) error {
	conn, release, err := an.s.conn(ctx)
	if err != nil {
		return err
	}
	defer release()
	err = conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		q := analystQueries(scoreRun, allocRun, fy)["allocations"]
		rdr, err := ar.QueryContext(ctx, q.sql, q.args...)
		if err != nil {
			return err
		}
		defer rdr.Release()
		// DuckDB hands back batches whose sizes depend on its threads: gather them into one record,
		// so that the same run gives the same bytes.
		var recs []arrow.Record
		for rdr.Next() {
			rec := rdr.Record()
			rec.Retain()
			recs = append(recs, rec)
		}
		if err := rdr.Err(); err != nil {
			return err
		}
		// Copy every column into Go-allocated (zeroed) buffers: DuckDB's buffers carry arbitrary
		// padding bytes, which the IPC writer would copy into the file.
		cols := make([]arrow.Array, rdr.Schema().NumFields())
		rows := int64(0)
		for i := range cols {
			var parts []arrow.Array
			for _, rec := range recs {
				parts = append(parts, rec.Column(i))
			}
			if len(parts) == 0 {
				b := array.NewBuilder(memory.NewGoAllocator(), rdr.Schema().Field(i).Type)
				cols[i] = b.NewArray()
				b.Release()
				continue
			}
			c, err := array.Concatenate(parts, memory.NewGoAllocator())
			if err != nil {
				return err
			}
			cols[i] = zeroNulls(c)
			rows = int64(cols[i].Len())
		}
		for _, rec := range recs {
			rec.Release()
		}
		whole := array.NewRecord(rdr.Schema(), cols, rows)
		defer whole.Release()
		return atomicfile.Write(path, func(f *os.File) error {
			w, err := ipc.NewFileWriter(f, ipc.WithSchema(rdr.Schema()))
			if err != nil {
				return err
			}
			if err := w.Write(whole); err != nil {
				w.Close()
				return err
			}
			return w.Close()
		})
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// zeroNulls rebuilds an integer column with nulls so that the value slots under the nulls hold 0
// instead of whatever DuckDB left there.
func zeroNulls(a arrow.Array) arrow.Array {
	ia, ok := a.(*array.Int64)
	if !ok || ia.NullN() == 0 {
		return a
	}
	b := array.NewInt64Builder(memory.NewGoAllocator())
	defer b.Release()
	for i := 0; i < ia.Len(); i++ {
		if ia.IsNull(i) {
			b.AppendNull()
		} else {
			b.Append(ia.Value(i))
		}
	}
	ia.Release()
	return b.NewArray()
}
