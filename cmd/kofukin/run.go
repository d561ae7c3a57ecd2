package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/kofukin/kofukin/config"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/store"
)

// exitError ends the program with a status code; msg may be empty when the output already said it.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// app is what every subcommand gets.
type app struct {
	cfg    config.Config
	stdout io.Writer
	stderr io.Writer
	logger *slog.Logger
}

type command struct {
	summary string
	run     func(ctx context.Context, a *app, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"demo":        {"generate a synthetic nation and run ingest, score, allocate and export on it", cmdDemo},
		"fixtures":    {"write a synthetic nation of filled survey workbooks and outcome values", cmdFixtures},
		"template":    {"write the survey workbook (調査票) of one entity", cmdTemplate},
		"ingest":      {"validate and load survey workbooks and outcome CSVs (files or folders)", cmdIngest},
		"score":       {"compute the scores of a fiscal year", cmdScore},
		"allocate":    {"split each grant's pool by the latest scores", cmdAllocate},
		"export":      {"write the ministry workbook of the latest allocation", cmdExport},
		"runs":        {"list recorded runs", cmdRuns},
		"whatif":      {"re-score and re-allocate with changed answers in a scratch copy and list every entity's yen change", cmdWhatIf},
		"healthcheck": {"ask a running service whether it is ready (Docker HEALTHCHECK)", cmdHealthcheck},
		"serve":       {"run the web service (uploads, review, console, API) and the scheduler", cmdServe},
		"schedule":    {"run the scheduled jobs alone (inbox, nightly dry run)", cmdSchedule},
		"token":       {"issue --role R --entity CODE | revoke TOKEN: access tokens for the service", cmdToken},
		"review":      {"import the verdicts of returned prefectural review workbooks", cmdReview},
		"rerun":       {"re-create a past allocation or export run and compare it, amount by amount and byte by byte", cmdRerun},
		"rulebooks":   {"list the rulebooks available", cmdRulebooks},
		"rulebook":    {"check [PATH] | diff --from Y --to Y --out F.xlsx | list | sql --fy Y --level L", cmdRulebook},
		"sql":         {"run one read-only SQL query on the store and print TSV", cmdSQL},
	}
}

// run is the whole program: parse the environment once, then run one subcommand.
func run(ctx context.Context, args []string, environ map[string]string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	level, err := cfg.Level()
	if err != nil {
		return err
	}
	a := &app{cfg: cfg, stdout: stdout, stderr: stderr,
		logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))}
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout, cmds)
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		usage(stderr, cmds)
		return fmt.Errorf("unknown command %q (known: %s)", args[0], strings.Join(names(cmds), ", "))
	}
	err = c.run(ctx, a, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func names(cmds map[string]command) []string {
	var n []string
	for k := range cmds {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "kofukin — 保険者機能強化推進交付金・介護保険保険者努力支援交付金 の算定")
	fmt.Fprintln(w, "\nUsage: kofukin COMMAND [flags]   (kofukin COMMAND -h for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, n := range names(cmds) {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
}

// flags returns a flag set for a subcommand that prints its errors to stderr.
func (a *app) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("kofukin "+name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	return fs
}

// library loads the rulebooks: the shipped ones, with the analyst's folder laid over them when
// KOFUKIN_RULEBOOK_DIR is set.
func (a *app) library() (*indicators.Library, error) {
	if a.cfg.RulebookDir != "" {
		return indicators.Overlay(a.cfg.RulebookDir)
	}
	return indicators.Shipped()
}

// runner opens the store at path and returns a runner over it; close it with the returned func.
func (a *app) runner(ctx context.Context, path string) (*pipeline.Runner, func() error, error) {
	lib, err := a.library()
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	st.Logger = a.logger
	return &pipeline.Runner{Store: st, Rulebooks: lib, Logger: a.logger, Workers: a.cfg.Workers}, st.Close, nil
}

// yen formats an amount with thousands separators.
func yen(n int64) string { return exporters.Commas(n) }
