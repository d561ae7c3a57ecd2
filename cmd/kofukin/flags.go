package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// help is what -h says of a command or subcommand: Japanese first, then English, then the
// arguments after the flags.
type help struct {
	ja, en string
	args   string // e.g. "--fy N"; the flags are listed below it
}

// helps holds the help of every command and subcommand, by its name after "kofukin".
var helps = map[string]help{
	"demo":           {"架空の全国データを作り、取込・採点・算定・出力までを通して実行します", "generate a synthetic nation and run ingest, score, allocate and export on it", "[--out DIR] [--seed N] [--prefectures 31,32]"},
	"bench":          {"架空の全国データで各段階（取込・採点・算定・出力・試算・試行）の時間・処理量・最大メモリを測り、目標と比べた表を出します", "measure every stage (ingest, score, allocate, export, what-if, dry run) on a synthetic nation: times, throughput, ratios to the targets, peak memory", "[--prefectures 31] [--rounds N] [--out DIR] [--markdown F.md] | --scale 1,10,100"},
	"fixtures":       {"架空の全国データ（記入済みの調査票と成果指標の値）を書き出します", "write a synthetic nation of filled survey workbooks and outcome values", "--out DIR [--fy N] [--seed N] [--prefectures 31] [--scale 100]"},
	"template":       {"1団体の調査票（Excel）を書き出します", "write the survey workbook (調査票) of one entity", "--fy N --level L --entity CODE --out F.xlsx"},
	"ingest":         {"調査票と CSV（ファイルまたはフォルダ）を検査して取り込みます", "validate and load survey workbooks and outcome CSVs (files or folders)", "[--fy N] [--dry-run] [--quarantine DIR] [--report F.json] PATH..."},
	"score":          {"年度の得点を計算します", "compute the scores of a fiscal year", "--fy N"},
	"allocate":       {"最新の得点で各交付金の額を算定します", "split each grant's pool by the latest scores", "--fy N"},
	"export":         {"最新の算定結果から交付額算定表などの Excel を書き出します", "write the ministry workbook of the latest allocation", "--fy N [--out DIR]"},
	"runs":           {"記録された実行（取込・採点・算定・出力）を一覧します", "list recorded runs", ""},
	"whatif":         {"回答を変えた場合の各団体の交付額の変化を試算します（データベースは変更しません）", "re-score and re-allocate with changed answers in a rehearsal (rolled back) and list every entity's yen change", "--fy N --set CODE:ITEM=VALUE..."},
	"impact":         {"取組（調査項目）と成果指標の関係を差の差で推定します（効果検証）", "difference-in-differences of an action item on an outcome item over fiscal years, with a bootstrap interval and the pre-period trend check", "--item ID --outcome ID --years 2024-2026 [--threshold N] [--resamples N] [--seed N] [--min-controls N] [--out F.xlsx]"},
	"healthcheck":    {"稼働中のサービスが応答できるか確認します（Docker HEALTHCHECK 用）", "ask a running service whether it is ready (Docker HEALTHCHECK)", "[--url URL]"},
	"serve":          {"Web サービス（提出・確認・コンソール・API）と定期処理を実行します", "run the web service (uploads, review, console, API) and the scheduler", "[--listen ADDR] [--no-schedule]"},
	"schedule":       {"定期処理（受付フォルダ、夜間の試行）だけを実行します", "run the scheduled jobs alone (inbox, nightly dry run)", ""},
	"token":          {"サービスのアクセストークンを発行・一覧・失効します", "issue, list or revoke access tokens for the service", "issue | list | revoke"},
	"token issue":    {"アクセストークンを発行します（トークンは一度だけ表示されます）", "issue an access token (shown once; only its hash is stored)", "--role R [--entity CODE] [--label L] [--expires YYYY-MM-DD]"},
	"token list":     {"発行したトークンを一覧します（トークン自体は表示しません）", "list the tokens issued (never the tokens themselves)", ""},
	"token revoke":   {"トークンを失効させ、そのセッションを終了します", "revoke a token and end its sessions", "TOKEN_OR_ID"},
	"review":         {"都道府県から返送された確認用 Excel の確認結果を取り込みます", "import the verdicts of returned prefectural review workbooks", "import F.xlsx..."},
	"review import":  {"都道府県から返送された確認用 Excel の確認結果を取り込みます", "import the verdicts of returned prefectural review workbooks", "F.xlsx..."},
	"rerun":          {"過去の採点・算定・出力を再実行し、金額とファイルを比較します", "re-create a past allocation or export run and compare it, amount by amount and byte by byte", "RUN_ID [--out DIR]"},
	"rulebooks":      {"利用できる評価指標（年度・区分）を一覧します", "list the rulebooks available", ""},
	"rulebook":       {"評価指標の検査・新旧対照表・一覧・SQL", "check, diff, list or print the SQL of rulebooks", "check [PATH] | diff --from Y --to Y --out F.xlsx | list | sql --fy Y --level L"},
	"rulebook check": {"評価指標のファイル（またはフォルダ）を検査します", "check the active rulebooks, a folder, or one draft file", "[FILE|DIR]"},
	"rulebook diff":  {"2年度の評価指標の新旧対照表（Excel）を書き出します", "write the 新旧対照表 of two years' rulebooks", "--from Y --to Y --out F.xlsx [--level L]"},
	"rulebook list":  {"利用できる評価指標を一覧します", "list the rulebooks available", ""},
	"rulebook sql":   {"評価指標から生成される SQL を表示します", "print the SQL a rulebook compiles to", "--fy Y [--level L]"},
	"sql":            {"データベースに読み取り専用で SELECT を1つ実行し、結果を表示します", "run one read-only SQL query on the store and print TSV", `[--format tsv|csv|json] "SELECT …"`},
	"help":           {"コマンドの使い方を表示します", "show the help of a command", "[COMMAND]"},
}

// flagSet is a flag.FlagSet that takes flags anywhere among the arguments (kofukin rerun 3 --out
// DIR), prints -h/--help on stdout (exit 0) and returns a flag error once, as a usage error (exit 2).
type flagSet struct {
	*flag.FlagSet
	name string
	a    *app
	args []string
}

// flags returns the flag set of a command or subcommand ("token issue").
func (a *app) flags(name string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet("kofukin "+name, flag.ContinueOnError), name: name, a: a}
	fs.SetOutput(a.stderr)
	fs.FlagSet.Usage = func() { fs.help(a.stderr) }
	return fs
}

// Parse parses args with flags before, between or after the positional arguments; "--" ends the
// flags. It returns flag.ErrHelp after printing the help for -h/--help, and an exit status 2 for
// a flag it does not know or cannot parse.
func (fs *flagSet) Parse(args []string) error {
	fs.args = nil
	out, usage := fs.Output(), fs.FlagSet.Usage
	fs.SetOutput(io.Discard)
	fs.FlagSet.Usage = func() {}
	defer func() { fs.SetOutput(out); fs.FlagSet.Usage = usage }()
	for {
		err := fs.FlagSet.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(out)
			fs.help(fs.a.stdout)
			return flag.ErrHelp
		}
		if err != nil {
			return &exitError{code: 2, msg: fmt.Sprintf("%s: %v（使い方 usage: kofukin %s -h）", fs.name, err, fs.name)}
		}
		rest := fs.FlagSet.Args()
		if used := args[:len(args)-len(rest)]; len(used) > 0 && used[len(used)-1] == "--" {
			fs.args = append(fs.args, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		fs.args = append(fs.args, rest[0])
		args = rest[1:]
	}
	return nil
}

// Args returns the positional arguments.
func (fs *flagSet) Args() []string { return fs.args }

// NArg returns how many positional arguments there are.
func (fs *flagSet) NArg() int { return len(fs.args) }

// Arg returns the i-th positional argument, or "" when there is none.
func (fs *flagSet) Arg(i int) string {
	if i < 0 || i >= len(fs.args) {
		return ""
	}
	return fs.args[i]
}

// Usage prints the help on stderr (after a usage error).
func (fs *flagSet) Usage() { fs.help(fs.a.stderr) }

// help prints the command's help: Japanese, English, the synopsis and the flags.
func (fs *flagSet) help(w io.Writer) {
	h := helps[fs.name]
	fmt.Fprintf(w, "kofukin %s — %s\n  %s\n\n使い方 Usage: kofukin %s", fs.name, h.ja, h.en, fs.name)
	if h.args != "" {
		fmt.Fprintf(w, " %s", h.args)
	}
	fmt.Fprintln(w, " [flags]")
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintln(w, "\nフラグ（引数の前後どちらにも置けます） Flags (before or after the arguments):")
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
}

// isHelp says whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// subcommands prints the help of a command made of subcommands (token, rulebook, review).
func subcommands(w io.Writer, name string) {
	h := helps[name]
	fmt.Fprintf(w, "kofukin %s — %s\n  %s\n\n使い方 Usage:\n", name, h.ja, h.en)
	var subs []string
	for k := range helps {
		if s, ok := strings.CutPrefix(k, name+" "); ok && !strings.HasPrefix(s, "-") {
			subs = append(subs, k)
		}
	}
	sort.Strings(subs)
	for _, k := range subs {
		fmt.Fprintf(w, "  %s\n      %s / %s\n", strings.TrimSpace("kofukin "+k+" "+helps[k].args), helps[k].ja, helps[k].en)
	}
	fmt.Fprintf(w, "\n各サブコマンドのフラグ Flags of each: kofukin %s SUBCOMMAND -h\n", name)
}

// dispatch runs the subcommand of args[0] among subs; no subcommand or an unknown one is a usage
// error, -h/--help/help prints the list.
func dispatch(a *app, name string, args []string, subs map[string]func([]string) error) error {
	if len(args) == 0 {
		subcommands(a.stderr, name)
		return &exitError{code: 2, msg: name + ": サブコマンドを指定してください / give a subcommand"}
	}
	if isHelp(args[0]) {
		subcommands(a.stdout, name)
		return nil
	}
	run, ok := subs[args[0]]
	if !ok {
		var known []string
		for k := range subs {
			known = append(known, k)
		}
		sort.Strings(known)
		subcommands(a.stderr, name)
		return &exitError{code: 2, msg: fmt.Sprintf("%s: 不明なサブコマンド %q です / unknown subcommand %q (known: %s)", name, args[0], args[0], strings.Join(known, ", "))}
	}
	return run(args[1:])
}
