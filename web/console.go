package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/pipeline"
)

// The console's words: runs, statuses, summaries and audit events are recorded in English (the
// logs' and the manifests' language) and shown to analysts in Japanese, translated here when the
// page is rendered; what has no translation is shown as recorded.

// consoleFuncs are the console templates' functions.
var consoleFuncs = template.FuncMap{
	"kindJA":      kindJA,
	"runStatusJA": runStatusJA,
	"summaryJA":   summaryJA,
	"auditJA":     auditJA,
	"auditTarget": auditTargetJA,
	"auditDetail": auditDetailJA,
	"roleJA":      func(r string) string { return roleJA(kofukin.Role(r)) },
	"stageJA":     stageJA,
	"dur":         durJA,
	"shortHash":   shortHash,
	"num":         func(n int) string { return exporters.Commas(int64(n)) },
	"levelCount":  func(m map[string]int, l string) string { return exporters.Commas(int64(m[l])) },
	"lines":       func(s string) []string { return strings.Split(s, "；") },
	"signedYen":   signedYen,
	"weightJA":    weightJA,
	"shareJA":     shareJA,
	"codeVersion": func(v string) string {
		if strings.HasPrefix(v, "(devel)") {
			return "開発版 " + v
		}
		return v
	},
}

// signedYen renders a difference in yen with its sign: +1,000 or -300 (0 as 0). It is only
// digits, commas and a sign, so it needs no escaping (html/template would write + as &#43;).
func signedYen(n int64) template.HTML {
	if n > 0 {
		return template.HTML("+" + exporters.Commas(n))
	}
	return template.HTML(exporters.Commas(n))
}

// weightJA names an allocation's weight.
func weightJA(w string) string {
	switch w {
	case "population_65plus":
		return "65歳以上人口（第1号被保険者数の代替）"
	case "population_total":
		return "総人口"
	}
	return w
}

// shareJA renders an exact decimal share ("0.05") as a percentage (5%), exactly.
func shareJA(d string) string {
	r, ok := new(big.Rat).SetString(d)
	if !ok {
		return d
	}
	r.Mul(r, big.NewRat(100, 1))
	if r.IsInt() {
		return r.Num().String() + "%"
	}
	return strings.TrimRight(strings.TrimRight(r.FloatString(6), "0"), ".") + "%"
}

var kindsJA = map[string]string{
	"ingest": "取込", "score": "採点", "allocate": "算定", "export": "出力", "nightly": "夜間処理（試算）",
	"whatif": "試算（条件変更）", "inbox": "受信フォルダ取込", "rerun": "再実行",
}

func kindJA(k string) string {
	if l, ok := kindsJA[k]; ok {
		return l
	}
	return k
}

func runStatusJA(s kofukin.RunStatus) string {
	switch s {
	case kofukin.RunSucceeded:
		return "完了"
	case kofukin.RunFailed:
		return "失敗"
	case kofukin.RunRunning:
		return "実行中"
	}
	return string(s)
}

func roleJA(r kofukin.Role) string {
	if r == "" {
		return "—"
	}
	if l := r.LabelJA(); l != "" {
		return l
	}
	return string(r)
}

var stagesJA = map[string]string{"score": "採点", "allocate": "算定", "export": "出力", "reference": "基礎データ", "ingest": "取込"}
var unitsJA = map[string]string{"files": "ファイル", "entities": "団体", "pools": "配分枠", "submissions": "件"}

func stageJA(s string) string {
	if l, ok := stagesJA[s]; ok {
		return l
	}
	return s
}

// durJA renders a duration as 1分05秒 or 12.3秒.
func durJA(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1f秒", d.Seconds())
	}
	return fmt.Sprintf("%d分%02d秒", int(d.Minutes()), int(d.Seconds())%60)
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

var (
	reScoreLevel = regexp.MustCompile(`(\w+): (\d+) entities \((\d+) submitted\), mean ([\d.]+) / ([\d.]+) \(([\d.]+%)\)`)
	reFiles      = regexp.MustCompile(`^(\d+) file\(s\)(?:, rerun of run (\d+))?$`)
	reIngest     = regexp.MustCompile(`^(\d+) file\(s\): (\d+) accepted, (\d+) rejected, (\d+) unchanged(?:, (\d+) denied)?$`)
	reNightly    = regexp.MustCompile(`^dry run: (\d+) municipalities \((\d+) submitted\), mean ([\d.]+); (\d+) pools; (\d+) files in (.*)$`)
	reUpload     = regexp.MustCompile(`^(.*) sha256 ([0-9a-f]+)(?: version (\d+))?$`)
	reDryCycle   = regexp.MustCompile(`^dry run: (\d+) entities scored, (\d+) pools allocated, nothing stored$`)
	reCycle      = regexp.MustCompile(`^(dry run|run)(?: failed: (.*)|: score run (\d+), allocate run (\d+)(?:, export run (\d+) \((\d+) files\))?)$`)
	rePool       = regexp.MustCompile(`(\S+) (\d+) of (\d+) yen to (\d+) \(surplus (\d+)\)`)
)

func commas(s string) string {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return s
	}
	return exporters.Commas(n)
}

// summaryJA renders a run's recorded summary in Japanese (the allocation's from its manifest, with
// the pools' Japanese names); a summary of an unknown shape is shown as recorded.
func summaryJA(kind, summary, manifest, errText string) string {
	if errText != "" {
		return "エラー: " + errText
	}
	switch kind {
	case "score":
		if ms := reScoreLevel.FindAllStringSubmatch(summary, -1); ms != nil {
			var parts []string
			for _, m := range ms {
				parts = append(parts, fmt.Sprintf("%s %s団体（提出 %s）平均 %s / %s点（%s）", levelJA(m[1]), commas(m[2]), commas(m[3]), m[4], m[5], m[6]))
			}
			return strings.Join(parts, "；")
		}
	case "allocate":
		var man pipeline.AllocateManifest
		if json.Unmarshal([]byte(manifest), &man) == nil && len(man.Results) > 0 {
			var parts []string
			for _, p := range man.Results {
				parts = append(parts, fmt.Sprintf("%s %s円（%s団体）", p.Name, exporters.Commas(p.AmountYen), exporters.Commas(int64(p.Entities))))
			}
			return strings.Join(parts, "；")
		}
		if ms := rePool.FindAllStringSubmatch(summary, -1); ms != nil {
			var parts []string
			for _, m := range ms {
				parts = append(parts, fmt.Sprintf("%s %s円 / %s円（%s団体）", m[1], commas(m[2]), commas(m[3]), commas(m[4])))
			}
			return strings.Join(parts, "；")
		}
	case "export":
		if m := reFiles.FindStringSubmatch(summary); m != nil {
			s := commas(m[1]) + " ファイル"
			if m[2] != "" {
				s += "（実行 " + m[2] + " の再実行）"
			}
			return s
		}
	case "ingest":
		if m := reIngest.FindStringSubmatch(summary); m != nil {
			s := fmt.Sprintf("%s ファイル：受付 %s、受付できず %s、変更なし %s", commas(m[1]), commas(m[2]), commas(m[3]), commas(m[4]))
			if m[5] != "" {
				s += "、権限なし " + commas(m[5])
			}
			return s
		}
	case "nightly":
		if m := reNightly.FindStringSubmatch(summary); m != nil {
			return fmt.Sprintf("試算：市町村 %s（提出 %s）平均 %s点、配分枠 %s、%s ファイル", commas(m[1]), commas(m[2]), m[3], m[4], commas(m[5]))
		}
	}
	return summary
}

func levelJA(l string) string {
	switch l {
	case "municipality":
		return "市町村"
	case "prefecture":
		return "都道府県"
	case "centre":
		return "地域包括支援センター"
	}
	return l
}

var auditActionsJA = map[string]string{
	"upload accepted": "提出受付", "upload rejected": "提出（受付できず）", "upload unchanged": "提出（前版と同じ）",
	"upload denied": "提出（権限なし）", "upload closed": "提出（受付終了）", "denied": "権限なしで拒否", "login": "ログイン",
	"run pipeline": "採点・算定・出力の実行", "set deadline": "提出期限の設定", "token issued": "トークン発行",
	"token revoked": "トークン失効", "tokens issued": "トークン一括発行", "review import": "審査結果の取込",
	"review import rejected": "審査結果の取込（受付できず）", "logout": "ログアウト",
}

// auditJA names an audit action in Japanese; unknown actions are shown as recorded.
func auditJA(a string) string {
	if l, ok := auditActionsJA[a]; ok {
		return l
	}
	if v, ok := strings.CutPrefix(a, "review "); ok {
		return "審査：" + v
	}
	return a
}

// auditTargetJA names the target of an audit entry: "review 312011" → 審査 312011.
func auditTargetJA(t string) string {
	for en, ja := range map[string]string{"review import ": "審査結果の取込 ", "review ": "審査 ", "token issue": "トークン発行", "token revoke": "トークン失効", "upload ": "提出 "} {
		if v, ok := strings.CutPrefix(t, en); ok {
			return ja + v
		}
	}
	return t
}

// auditDetailJA renders the detail of the audit entries the console writes in Japanese.
func auditDetailJA(d string) string {
	if m := reUpload.FindStringSubmatch(d); m != nil {
		s := m[1]
		if m[3] != "" {
			s += "（第" + m[3] + "版）"
		}
		return s + " SHA-256 " + m[2]
	}
	if m := reDryCycle.FindStringSubmatch(d); m != nil {
		return "試算：" + commas(m[1]) + " 団体を採点、" + m[2] + " の配分枠を算定（保存なし）"
	}
	if m := reCycle.FindStringSubmatch(d); m != nil {
		s := "実行"
		if m[1] == "dry run" {
			s = "試算"
		}
		if m[2] != "" {
			return s + "失敗: " + m[2]
		}
		s += "：採点 " + m[3] + "、算定 " + m[4]
		if m[5] != "" {
			s += "、出力 " + m[5] + "（" + commas(m[6]) + " ファイル）"
		}
		return s
	}
	return d
}

// stageRow is one line of a job's progress table.
type stageRow struct {
	Name, State, Count string
	Elapsed            time.Duration
}

// jobStages are a job's stages as its page lists them, the ones still to come included.
func jobStages(j pipeline.Job, now time.Time) []stageRow {
	names := []string{"score", "allocate", "export"}
	if j.DryRun {
		names = []string{"score", "allocate"}
	}
	seen := map[string]pipeline.JobStage{}
	for _, st := range j.Stages {
		seen[st.Name] = st
	}
	var out []stageRow
	for _, n := range names {
		row := stageRow{Name: stageJA(n), State: "待機"}
		if st, ok := seen[n]; ok {
			switch {
			case !st.Finished.IsZero():
				row.State, row.Elapsed = "完了", st.Finished.Sub(st.Started)
			case !j.Running():
				row.State, row.Elapsed = "中断", j.Finished.Sub(st.Started)
			default:
				row.State, row.Elapsed = "実行中", now.Sub(st.Started)
			}
			if st.Done > 0 || st.Unit != "" {
				row.Count = exporters.Commas(int64(st.Done)) + " " + unitsJA[st.Unit]
				if st.Total > 0 {
					row.Count += " / " + exporters.Commas(int64(st.Total))
				}
			}
		}
		out = append(out, row)
	}
	return out
}

// fileGroup is one group of an export's files on the console.
type fileGroup struct {
	Title string
	Files []string
	Open  bool
}

// groupFiles puts an export's files in the groups an analyst looks for: the ministry's workbook,
// the prefectures' review workbooks, the municipalities' feedback, the analysts' Parquet and Arrow.
func groupFiles(files []string) []fileGroup {
	groups := []fileGroup{{Title: "国（算定結果）", Open: true}, {Title: "都道府県 審査用"}, {Title: "市町村 フィードバック（都道府県別）"}, {Title: "分析用（Parquet・Arrow）"}, {Title: "その他"}}
	for _, f := range files {
		i := 4
		switch {
		case strings.Contains(f, "_交付額算定表"):
			i = 0
		case strings.Contains(f, "_審査_"):
			i = 1
		case strings.Contains(f, "_フィードバック_"):
			i = 2
		case strings.HasPrefix(f, "parquet/") || strings.HasSuffix(f, ".parquet") || strings.HasSuffix(f, ".arrow"):
			i = 3
		}
		groups[i].Files = append(groups[i].Files, f)
	}
	var out []fileGroup
	for _, g := range groups {
		if len(g.Files) > 0 {
			sort.Strings(g.Files)
			out = append(out, g)
		}
	}
	return out
}

// kv is one row of a key/value table.
type kv struct{ Key, Value string }

// runView is a run's manifest as the run page shows it: the fields the pipeline records, in tables.
type runView struct {
	Params    []kv
	Rulebooks []pipeline.RulebookRef
	Score     *pipeline.ScoreManifest
	Alloc     *pipeline.AllocateManifest
	Export    *pipeline.ExportManifest
	Files     []fileGroup
	Other     []kv // the manifest's top-level fields the page has no table for
	// PoolTotal sums the allocation's pools (Name 合計).
	PoolTotal pipeline.PoolResult
}

// runViewOf reads a run's parameters and manifest.
func runViewOf(kind, params, manifest string) runView {
	var v runView
	v.Params = flatKV(params, map[string]bool{"params": true, "rulebooks": true})
	if manifest == "" {
		return v
	}
	switch kind {
	case "score":
		var m pipeline.ScoreManifest
		if json.Unmarshal([]byte(manifest), &m) == nil {
			v.Score, v.Rulebooks = &m, m.Rulebooks
		}
	case "allocate":
		var m pipeline.AllocateManifest
		if json.Unmarshal([]byte(manifest), &m) == nil {
			v.Alloc = &m
			for _, p := range m.Results {
				t := &v.PoolTotal
				t.PoolYen, t.ProposalYen, t.AmountYen, t.SurplusYen = t.PoolYen+p.PoolYen, t.ProposalYen+p.ProposalYen, t.AmountYen+p.AmountYen, t.SurplusYen+p.SurplusYen
			}
			var sm pipeline.ScoreManifest
			if json.Unmarshal(m.ScoreManifest, &sm) == nil {
				v.Score, v.Rulebooks = &sm, sm.Rulebooks
			}
		}
	case "export":
		var m pipeline.ExportManifest
		if json.Unmarshal([]byte(manifest), &m) == nil {
			v.Export = &m
			names := make([]string, 0, len(m.Files))
			for f := range m.Files {
				names = append(names, f)
			}
			v.Files = groupFiles(names)
		}
	}
	if v.Score == nil && v.Alloc == nil && v.Export == nil {
		v.Other = flatKV(manifest, nil)
	}
	return v
}

// flatKV lists a JSON object's top-level fields (nested values as compact JSON), skipping some.
func flatKV(text string, skip map[string]bool) []kv {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(text), &m) != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !skip[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []kv
	for _, k := range keys {
		var s string
		if json.Unmarshal(m[k], &s) != nil {
			var b bytes.Buffer
			if json.Compact(&b, m[k]) == nil {
				s = b.String()
			} else {
				s = string(m[k])
			}
		}
		out = append(out, kv{paramJA(k), s})
	}
	return out
}

var paramsJA = map[string]string{"fiscal_year": "年度", "score_run_id": "採点実行", "allocate_run_id": "算定実行", "dir": "出力先",
	"rerun_of": "再実行の元", "inbox": "受信フォルダ", "files": "ファイル数", "dry_run": "試算（保存なし）"}

func paramJA(k string) string {
	if l, ok := paramsJA[k]; ok {
		return l + "（" + k + "）"
	}
	return k
}

// grantTotal is one grant's line of a cycle's result: its budget and what its pools paid.
type grantTotal struct {
	Name                             string
	BudgetYen, AmountYen, SurplusYen int64
}

// grantTotals sums an allocation's pools by grant, with the total of all grants last.
func grantTotals(a *pipeline.AllocateResult) []grantTotal {
	if a == nil {
		return nil
	}
	var out []grantTotal
	total := grantTotal{Name: "合計"}
	for _, p := range a.Pools {
		g := grantTotal{Name: p.Grant.Name, BudgetYen: p.Grant.BudgetYen}
		for _, r := range a.Results {
			if r.Grant == p.Grant.ID {
				g.AmountYen += r.AmountYen
				g.SurplusYen += r.SurplusYen
			}
		}
		total.BudgetYen, total.AmountYen, total.SurplusYen = total.BudgetYen+g.BudgetYen, total.AmountYen+g.AmountYen, total.SurplusYen+g.SurplusYen
		out = append(out, g)
	}
	return append(out, total)
}
