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

// batchGCPercent is the Go collector's target (GOGC) for the commands that run one job whose Go
// side allocates in bursts: the collector runs when the heap has grown by 400 % of what the last
// collection kept, not 100 %. At Go's default a tenth of their CPU went to collecting and to the
// page faults of memory returned and taken back. Measured on the demo, alternately, default against
// 400: fixtures 1.72 -> 1.18 s, ingest 3.74 -> 3.29 s (peak RSS 162 -> 257 MiB), export 6.4-7.1 ->
// 5.9-6.2 CPU-s (peak RSS +70-150 MiB). A score run is DuckDB's work, and there 400 did not help: on
// the nation 4.7-5.9 against 4.6-6.8 CPU-s, at 100 Japans 168-190 s (3,715-3,803 MiB) against
// 206 s (3,830-3,869 MiB), so score keeps Go's default, as do the service and the scheduler (they
// run for weeks with little garbage per request). GOGC in the environment overrides all this.
const batchGCPercent = 400

// batchCommands are the commands that take batchGCPercent.
var batchCommands = map[string]bool{"demo": true, "bench": true, "fixtures": true, "ingest": true,
	"allocate": true, "export": true, "whatif": true, "impact": true, "rerun": true}

// defaultStages are the stages of kofukin bench that keep Go's default: the what-if and dry run,
// which people wait for in the service (so the bench measures what they get), and the score run
// (as the score command).
var defaultStages = map[string]bool{"whatif": true, "dryrun": true, "score": true}

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
		if found && defaultStages[stage] {
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
