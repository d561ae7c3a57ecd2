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
	"syscall"

	"github.com/kofukin/kofukin/config"
)

func main() { os.Exit(program()) }

// program runs the command of os.Args and returns the exit status.
func program() int {
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
