package config

import (
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
	} {
		_, err := Load(map[string]string{env: "-7nonsense"})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=-7nonsense: error %v does not name %s", env, err, want)
		}
	}
}
