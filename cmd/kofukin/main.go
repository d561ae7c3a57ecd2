// Command kofukin runs Japan's long-term-care insurer incentive grants end to end: survey
// templates, ingest, scoring, allocation to the yen and the ministry's workbooks, on an embedded
// DuckDB. Run "kofukin help" for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/kofukin/kofukin/config"
)

func main() { os.Exit(program()) }

// batchGCPercent is the Go collector's target (GOGC) for the commands that run one job and exit:
// the collector runs when the heap has grown by 400 % of what the last collection kept, not 100 %.
// These commands allocate in bursts (fixtures 5 CPU-s, ingest and export 6-9 CPU-s on the
// national demo), and at Go's default a tenth of their CPU went to collecting and to the page
// faults of memory returned and taken back. Measured on the demo, alternately, default against
// 400: fixtures 1.72 -> 1.18 s, ingest 3.74 -> 3.29 s (peak RSS 162 -> 257 MiB), export 6.4-7.1 ->
// 5.9-6.2 CPU-s (peak RSS +70-150 MiB). The service and the scheduler run for weeks with little
// garbage per request: they keep Go's default. GOGC in the environment overrides this.
const batchGCPercent = 400

// batchCommands are the commands that take batchGCPercent.
var batchCommands = map[string]bool{"demo": true, "bench": true, "fixtures": true, "ingest": true, "score": true,
	"allocate": true, "export": true, "whatif": true, "impact": true, "rerun": true}

// serviceStages are the stages of kofukin bench that people wait for in the service (the console's
// what-if and dry run): they keep Go's default, as serve does, so that the bench measures what those
// people get.
var serviceStages = map[string]bool{"whatif": true, "dryrun": true}

// gcPercent is the collector's target for a command line (args without the program name), unless
// the environment sets GOGC: ok is false when Go's setting should stand.
func gcPercent(args []string, lookupEnv func(string) (string, bool)) (percent int, ok bool) {
	if _, set := lookupEnv("GOGC"); set || len(args) == 0 || !batchCommands[args[0]] {
		return 0, false
	}
	for i, a := range args {
		stage, found := strings.CutPrefix(strings.TrimLeft(a, "-"), "stage=")
		if !found && (a == "--stage" || a == "-stage") && i+1 < len(args) {
			stage, found = args[i+1], true
		}
		if found && serviceStages[stage] {
			return 0, false
		}
	}
	return batchGCPercent, true
}

// program runs the command of os.Args and returns the exit status.
func program() int {
	if p, ok := gcPercent(os.Args[1:], os.LookupEnv); ok {
		debug.SetGCPercent(p)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], config.Environ(os.Environ()), os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(os.Stderr, "kofukin:", ee.msg)
			}
			return ee.code
		}
		fmt.Fprintln(os.Stderr, "kofukin:", err)
		return 1
	}
	return 0
}
