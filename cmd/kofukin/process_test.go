package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/kofukin/kofukin/store"
)

// The test binary doubles as the kofukin program: with KFTEST_AS_MAIN=1 it runs main with the
// arguments of KFTEST_ARGS (separated by \x1f), so tests can run, kill and measure real kofukin
// processes without building the binary separately.
func TestMain(m *testing.M) {
	if os.Getenv("KFTEST_AS_MAIN") == "1" {
		os.Args = append([]string{"kofukin"}, strings.Split(os.Getenv("KFTEST_ARGS"), "\x1f")...)
		code := program()
		if f := os.Getenv("KFTEST_HWM"); f != "" {
			// The process's own peak resident set (VmHWM): getrusage's maxrss of a child counts
			// the test process it was forked from.
			status, _ := os.ReadFile("/proc/self/status")
			for _, l := range strings.Split(string(status), "\n") {
				if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
					os.WriteFile(f, []byte(strings.TrimSpace(v)), 0o644)
				}
			}
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// kofukinProcess returns a command that runs kofukin with args and the given KOFUKIN_* settings
// (and none from the test's environment).
func kofukinProcess(env map[string]string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KOFUKIN_") && !strings.HasPrefix(kv, "KFTEST_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "KFTEST_AS_MAIN=1", "KFTEST_ARGS="+strings.Join(args, "\x1f"))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// measured makes a kofukin process report its peak resident set; peakRSS reads it once it ended.
func measured(cmd *exec.Cmd, dir string) *exec.Cmd {
	f, _ := os.CreateTemp(dir, "hwm-*")
	f.Close()
	cmd.Env = append(cmd.Env, "KFTEST_HWM="+f.Name())
	return cmd
}

// peakRSS is the peak resident set of a finished measured process, in bytes (-1 when unknown).
func peakRSS(cmd *exec.Cmd) int64 {
	for _, kv := range cmd.Env {
		if f, ok := strings.CutPrefix(kv, "KFTEST_HWM="); ok {
			data, err := os.ReadFile(f)
			if err != nil {
				return -1
			}
			var kb int64
			if _, err := fmt.Sscanf(string(data), "%d kB", &kb); err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

// digest summarises what the database holds of submissions, answers and reference data.
func digest(t *testing.T, path string) string {
	t.Helper()
	ro, err := store.OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var out string
	for _, q := range []string{
		`SELECT count(*), coalesce(sum(hash(id, version, status, sha256, entity_code)), 0) FROM submissions`,
		`SELECT count(*), coalesce(sum(hash(submission_id, item_id, value_text, value_num)), 0) FROM answers`,
		`SELECT count(*), coalesce(sum(hash(code, valid_from_fy, name_ja)), 0) FROM entities`,
		`SELECT count(*), coalesce(sum(hash(code, fiscal_year, population_65plus)), 0) FROM populations`,
	} {
		err := ro.Query(context.Background(), q, func(_ []store.Column, vals []any) error {
			if vals != nil {
				out += fmt.Sprint(vals) + " "
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}
