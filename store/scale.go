package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
)

// ScaledLoad is what LoadScaled stored.
type ScaledLoad struct {
	Entities    int64
	Populations int64
	Submissions int64
	Answers     int64
}

// ScaledSource is the source recorded with the entities and populations of a scaled nation.
const ScaledSource = "kofukin fixtures --scale（合成データ）"

// LoadScaled loads a scaled synthetic nation (fixtures.WriteScaled: an entity list and an answers
// file, both CSV) into a database that has no entities yet, in one transaction and in bulk (DuckDB
// reads the files itself): the entities valid from fiscal year fy with their populations for fy,
// one current submission per submitter (each entity's survey, the ministry's outcome values) and
// every answer. It is for benchmarks at national scale and beyond, where reading workbooks is not
// the point; the files are trusted as written by the generator (no loader checks them).
func (s *Store) LoadScaled(ctx context.Context, fy int, entitiesFile, answersFile string) (ScaledLoad, error) {
	var out ScaledLoad
	err := s.withTx(ctx, func(c *txConn) error {
		var n int64
		if err := c.queryRow(`SELECT count(*) FROM entities`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("the database already has %d entities: load a scaled nation into a new database", n)
		}
		name := filepath.Base(answersFile)
		steps := []struct {
			what string
			sql  string
			args []any
			n    *int64
		}{
			{"entities", scaledEntitiesSQL, []any{fy, ScaledSource, entitiesFile}, &out.Entities},
			{"populations", scaledPopulationsSQL, []any{fy, ScaledSource, entitiesFile}, &out.Populations},
			{"submissions", scaledSubmissionsSQL, []any{fy, name, s.Now().UTC(), answersFile}, &out.Submissions},
			{"answers", scaledAnswersSQL, []any{answersFile, fy, name}, &out.Answers},
		}
		for _, st := range steps {
			res, err := c.exec(st.sql, st.args...)
			if err != nil {
				return fmt.Errorf("%s: %w", st.what, err)
			}
			if *st.n, err = res.RowsAffected(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("load scaled nation %s: %w", answersFile, err)
	}
	return out, nil
}

// LimitMemory sets how much memory DuckDB may hold before it spills to disk, in MiB; the
// benchmarks at scale set it to keep the process within its budget.
func (s *Store) LimitMemory(ctx context.Context, mib int) error {
	// SET takes no bind parameter: the value is a quoted number (quote.go).
	limit := strconv.Itoa(mib) + "MiB"
	_, err := s.db.ExecContext(ctx, `SET memory_limit = `+quoteLiteral(limit))
	if err != nil {
		return fmt.Errorf("limit memory to %s: %w", limit, err)
	}
	return nil
}

// Statements of LoadScaled (what each does and its args at the top of its file).
var (
	scaledEntitiesSQL    = query("scaled_entities.sql")
	scaledPopulationsSQL = query("scaled_populations.sql")
	scaledSubmissionsSQL = query("scaled_submissions.sql")
	scaledAnswersSQL     = query("scaled_answers.sql")
)
