package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestLoadDefaultsAndOverrides(t *testing.T) {
	c, err := Load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "kofukin.duckdb" || c.Out != "out" || c.LogLevel != "info" {
		t.Errorf("defaults: %+v", c)
	}
	c, err = Load(map[string]string{"KOFUKIN_DB": "/tmp/x.duckdb", "KOFUKIN_WORKERS": "3", "KOFUKIN_LOG_LEVEL": "debug"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "/tmp/x.duckdb" || c.Workers != 3 {
		t.Errorf("overrides: %+v", c)
	}
}

func TestLoadNamesTheVariable(t *testing.T) {
	for env, want := range map[string]string{
		"KOFUKIN_WORKERS":      "KOFUKIN_WORKERS",
		"KOFUKIN_LOG_LEVEL":    "KOFUKIN_LOG_LEVEL",
		"KOFUKIN_RULEBOOK_DIR": "KOFUKIN_RULEBOOK_DIR",
		"KOFUKIN_MEMORY_MB":    "KOFUKIN_MEMORY_MB",
	} {
		_, err := Load(map[string]string{env: "-7nonsense"})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=-7nonsense: error %v does not name %s", env, err, want)
		}
	}
}

// TestMemoryMB: 0 leaves DuckDB's default; a limit is at least 256 MiB (DuckDB needs some to run).
func TestMemoryMB(t *testing.T) {
	for v, ok := range map[string]bool{"0": true, "256": true, "3072": true, "255": false, "-1": false, "1048577": false} {
		c, err := Load(map[string]string{"KOFUKIN_MEMORY_MB": v})
		if (err == nil) != ok {
			t.Errorf("KOFUKIN_MEMORY_MB=%s: error %v, want ok=%v", v, err, ok)
		}
		if err == nil && fmt.Sprint(c.MemoryMB) != v {
			t.Errorf("KOFUKIN_MEMORY_MB=%s read as %d", v, c.MemoryMB)
		}
	}
}
