package store

import (
	"context"
	"testing"
)

// TestLimitMemory: KOFUKIN_MEMORY_MB (and kofukin bench --memory-limit) reach DuckDB's own setting,
// for every connection of the pool.
func TestLimitMemory(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.LimitMemory(ctx, 300); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := st.pool.QueryRowContext(ctx, `SELECT CAST(current_setting('memory_limit') AS VARCHAR)`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "300.0 MiB" {
		t.Errorf("memory_limit is %q after LimitMemory(300), want 300.0 MiB", got)
	}
}
