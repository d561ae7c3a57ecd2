package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
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
	run func(ctx context.Context, a *app, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"demo":        {cmdDemo},
		"bench":       {cmdBench},
		"fixtures":    {cmdFixtures},
		"template":    {cmdTemplate},
		"ingest":      {cmdIngest},
		"score":       {cmdScore},
		"allocate":    {cmdAllocate},
		"export":      {cmdExport},
		"runs":        {cmdRuns},
		"whatif":      {cmdWhatIf},
		"impact":      {cmdImpact},
		"healthcheck": {cmdHealthcheck},
		"serve":       {cmdServe},
		"schedule":    {cmdSchedule},
		"token":       {cmdToken},
		"review":      {cmdReview},
		"rerun":       {cmdRerun},
		"rulebooks":   {cmdRulebooks},
		"rulebook":    {cmdRulebook},
		"sql":         {cmdSQL},
	}
}

// run is the whole program: parse the environment once, then run one subcommand. Exit statuses:
// 0 done, 1 failed or rejected, 2 a usage error (no command, an unknown command or flag).
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
	if len(args) == 0 {
		usage(stderr, cmds)
		return &exitError{code: 2}
	}
	if isHelp(args[0]) {
		if len(args) > 1 && args[0] == "help" {
			if _, ok := cmds[args[1]]; ok {
				args = []string{args[1], "-h"} // kofukin help CMD is kofukin CMD -h
			}
		}
		if isHelp(args[0]) {
			usage(stdout, cmds)
			return nil
		}
	}
	c, ok := cmds[args[0]]
	if !ok {
		usage(stderr, cmds)
		return &exitError{code: 2, msg: fmt.Sprintf("不明なコマンド %q です / unknown command %q (known: %s)", args[0], args[0], strings.Join(names(cmds), ", "))}
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
	fmt.Fprintln(w, "\n使い方 Usage: kofukin COMMAND [flags] [ARGS]   （各コマンドの使い方 for a command's flags: kofukin COMMAND -h）")
	fmt.Fprintln(w, "\nコマンド Commands:")
	for _, n := range names(cmds) {
		fmt.Fprintf(w, "  %-11s %s\n  %-11s %s\n", n, helps[n].ja, "", helps[n].en)
	}
	fmt.Fprintln(w, "\nどのコマンドも --db FILE でデータベースを指定できます（既定 KOFUKIN_DB）。Every command that uses the database takes --db FILE (default KOFUKIN_DB).")
}

// library loads the rulebooks: the shipped ones, with the analyst's folder laid over them when
// KOFUKIN_RULEBOOK_DIR is set.
func (a *app) library() (*indicators.Library, error) {
	if a.cfg.RulebookDir != "" {
		return indicators.Overlay(a.cfg.RulebookDir)
	}
	return indicators.Shipped()
}

// runner opens the store at path (creating it when there is none) and returns a runner over it;
// close it with the returned func.
func (a *app) runner(ctx context.Context, path string) (*pipeline.Runner, func() error, error) {
	lib, err := a.library()
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		return nil, nil, openError(path, err)
	}
	st.Logger = a.logger
	if a.cfg.MemoryMB > 0 {
		if err := st.LimitMemory(ctx, a.cfg.MemoryMB); err != nil {
			return nil, nil, errors.Join(err, st.Close())
		}
	}
	return &pipeline.Runner{Store: st, Rulebooks: lib, Logger: a.logger, Workers: a.cfg.Workers}, st.Close, nil
}

// existing is runner for the commands that read what is stored: the database must be there
// already (a missing file is not created as an empty one).
func (a *app) existing(ctx context.Context, cmd, path string) (*pipeline.Runner, func() error, error) {
	if err := needDB(cmd, path); err != nil {
		return nil, nil, err
	}
	return a.runner(ctx, path)
}

// needDB says, in Japanese and English, that the database file is missing.
func needDB(cmd, path string) error {
	if path == "" {
		return &exitError{code: 2, msg: cmd + ": データベースを --db または KOFUKIN_DB で指定してください / give the database with --db or KOFUKIN_DB"}
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return &exitError{code: 1, msg: fmt.Sprintf("%s: データベース %s がありません（--db または KOFUKIN_DB で指定。新しく作るのは kofukin ingest・demo・serve です）/ no database at %s (name it with --db or KOFUKIN_DB; kofukin ingest, demo or serve create one)", cmd, path, path)}
	} else if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("%s: %v", cmd, err)}
	}
	return nil
}

// openError explains DuckDB's lock error: one process at a time may open the file, and while
// kofukin serve (or schedule) runs, it is that process.
func openError(path string, err error) error {
	if isLockError(err) {
		return &exitError{code: 1, msg: fmt.Sprintf("データベース %s は別のプロセス（kofukin serve など）が使用中のため開けません。"+
			"サービスの実行中は Web のコンソール（採点・算定・出力の実行、トークン発行、実行結果の閲覧）を使うか、サービスを止めてからこのコマンドを実行してください。"+
			"DuckDB は使用中のファイルを読み取り専用でも開けないため、kofukin sql も同じです。\n"+
			"the database %s is in use by another process (kofukin serve or schedule): while the service runs, use its web console, "+
			"or stop the service and run this command again; DuckDB does not open a file another process holds even read-only, so kofukin sql cannot either.\n  (%v)", path, path, err)}
	}
	return err
}

// isLockError says whether err is DuckDB's refusal to open a file another process holds.
func isLockError(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Could not set lock on file")
}

// yen formats an amount with thousands separators.
func yen(n int64) string { return exporters.Commas(n) }
