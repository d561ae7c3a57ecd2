package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/internal/atomicfile"
)

func cmdRulebook(ctx context.Context, a *app, args []string) error {
	return dispatch(a, "rulebook", args, map[string]func([]string) error{
		"check": func(args []string) error { return rulebookCheck(a, args) },
		"diff":  func(args []string) error { return rulebookDiff(a, args) },
		"list":  func(args []string) error { return rulebookList(a, "rulebook list", args) },
		"sql":   func(args []string) error { return rulebookSQL(a, args) },
	})
}

// rulebookCheck checks the active rulebooks, a folder, or one draft file against the active ones
// (so that its predecessors and roll-ups resolve).
func rulebookCheck(a *app, args []string) error {
	fs := a.flags("rulebook check")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var lib *indicators.Library
	var err error
	switch path := fs.Arg(0); {
	case path == "":
		lib, err = a.library()
	default:
		st, serr := os.Stat(path)
		if serr != nil {
			return serr
		}
		if st.IsDir() {
			lib, err = indicators.LoadDir(path)
			break
		}
		data, rerr := os.ReadFile(path)
		if rerr != nil {
			return rerr
		}
		rb, perr := indicators.Parse(path, data)
		if perr != nil {
			err = perr
			break
		}
		base, berr := a.library()
		if berr != nil {
			return berr
		}
		lib = base.With(rb)
		if errs := lib.Check(); len(errs) > 0 {
			err = errors.Join(errs...)
		} else {
			printBook(a, rb)
			return nil
		}
	}
	if err != nil {
		fmt.Fprintln(a.stdout, err)
		return &exitError{code: 1, msg: "rulebook check failed"}
	}
	for _, rb := range lib.All() {
		printBook(a, rb)
	}
	return nil
}

func printBook(a *app, rb *indicators.Rulebook) {
	items := len(rb.Items())
	fmt.Fprintf(a.stdout, "ok: %s — FY%d %s, version %s, %s points, %d indicators, %d items, sha256 %s\n",
		rb.File, rb.FiscalYear, rb.Level, rb.Version, indicators.FormatPoints(rb.MaxPoints()), len(rb.Indicators), items, rb.Hash)
}

func rulebookDiff(a *app, args []string) error {
	fs := a.flags("rulebook diff")
	from := fs.Int("from", 0, "the earlier fiscal year")
	to := fs.Int("to", 0, "the later fiscal year")
	level := fs.String("level", string(kofukin.Municipality), levelUsage)
	out := fs.String("out", "", "the 新旧対照表 workbook to write (.xlsx)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == 0 || *to == 0 || *out == "" {
		return &exitError{code: 2, msg: "rulebook diff: --from, --to and --out are required"}
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	old, err := lib.Get(*from, indicators.Level(*level))
	if err != nil {
		return err
	}
	cur, err := lib.Get(*to, indicators.Level(*level))
	if err != nil {
		return err
	}
	changes := indicators.Diff(old, cur)
	var buf bytes.Buffer
	if err := exporters.WriteDiff(&buf, old, cur, changes); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(*out, buf.Bytes()); err != nil {
		return err
	}
	count := map[string]int{}
	for _, c := range changes {
		count[c.Kind]++
	}
	var parts []string
	for _, k := range indicators.ChangeKinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, count[k]))
	}
	fmt.Fprintf(a.stdout, "rulebook diff: FY%d → FY%d %s: %s → %s\n", *from, *to, *level, strings.Join(parts, ", "), filepath.Clean(*out))
	return nil
}

// rulebookSQL prints the SQL a rulebook compiles to, for review.
func rulebookSQL(a *app, args []string) error {
	fs := a.flags("rulebook sql")
	fy := fs.Int("fy", 0, "fiscal year")
	level := fs.String("level", string(kofukin.Municipality), levelUsage)
	if err := fs.Parse(args); err != nil {
		return err
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	rb, err := lib.Get(*fy, indicators.Level(*level))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "-- values of %s\n%s;\n\n-- item scores\n%s;\n", rb.File, rb.ValuesSQL(indicators.Relations{
		Peers: "kf_peers", Answers: "kf_answers", PrevAnswers: "kf_prev_answers", Children: "kf_children",
		ChildAnswers: "kf_child_answers", ItemScores: "item_scores", ScoreTotals: "score_totals", RunID: 0,
	}), rb.ItemScoresSQL("kf_peers", "kf_values"))
	for _, it := range rb.DependencyOrder() {
		if it.Rule.Type == indicators.RuleAllOf {
			fmt.Fprintf(a.stdout, "\n-- derived %s\n%s;\n", it.ID, rb.DerivedSQL(it, "kf_peers", "item_scores", 0))
		}
		if it.RanksAfterPrerequisites() {
			fmt.Fprintf(a.stdout, "\n-- rank %s among the entities whose prerequisites are met\n%s;\n", it.ID, rb.RankAfterPrerequisitesSQL(it, "kf_peers", "kf_values", "item_scores", 0))
		}
		if len(it.Requires) > 0 {
			fmt.Fprintf(a.stdout, "\n-- prerequisites of %s\n%s;\n", it.ID, rb.PrerequisiteSQL(it, "item_scores", 0))
		}
	}
	return nil
}
