// Package indicators holds the yearly rulebooks of evaluation indicators (評価指標) as data and the
// pure model that reads, checks and compiles them to DuckDB SQL. It does no I/O of its own beyond
// reading the rulebook files it is given (embedded or from an analyst's folder).
package indicators

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/kofukin/kofukin"
)

// Level is the kind of reporting body a rulebook applies to: kofukin.Level, whose name new code
// should use.
type Level = kofukin.Level

// The levels of reporting body, as kofukin names them.
const (
	Municipality = kofukin.Municipality
	Prefecture   = kofukin.Prefecture
	Centre       = kofukin.Centre
)

// Rule types an item can declare.
const (
	RuleYesNo     = "yesno"     // はい/いいえ; points when yes (negative points: a penalty when yes)
	RuleChoice    = "choice"    // one option of a list, points per option (tiers 段階)
	RuleThreshold = "threshold" // numeric value scored by bands [from, to)
	RuleLinear    = "linear"    // numeric value scored linearly between lower and upper (QOF style)
	RuleRank      = "rank"      // numeric value scored by rank bands over a peer set (competition ranking)
	RuleAllOf     = "all_of"    // points when every listed item of the rulebook is met; no answer of its own
	RuleValue     = "value"     // a number recorded without points (counts, totals that must add up)
)

// RuleTypes lists every rule type, for error messages.
var RuleTypes = []string{RuleYesNo, RuleChoice, RuleThreshold, RuleLinear, RuleRank, RuleAllOf, RuleValue}

// Sources of an item's value.
const (
	SourceSelf     = "self"     // answered by the reporting body in its survey workbook
	SourceMinistry = "ministry" // supplied by the ministry (e.g. 目標Ⅳ outcomes)
	SourceRollup   = "rollup"   // computed from the results of the entity's children (centres, municipalities)
	SourceDerived  = "derived"  // computed from other items of the same entity (all_of)
)

// Blank semantics of an item.
const (
	BlankZero     = "zero"     // a blank scores 0 as 未回答 (default)
	BlankNA       = "na"       // a blank means 対象外: the item leaves the denominator of 得点率
	BlankRequired = "required" // a blank is invalid: the file is rejected
)

// Rollup measures.
const (
	MeasureShareRate  = "share_rate_at_least" // % of children whose 得点率 is at least rate_at_least %
	MeasureShareMet   = "share_item_met"      // % of children that met item
	MeasureMeanRate   = "mean_rate"           // mean 得点率 of the children, in %
	MeasureMeanValue  = "mean_value"          // mean value of the children's answers to item
	MeasureCountLow   = "count_low"           // number of children whose 得点率 is below national mean − k·SD
	defaultLowSDCount = 2
)

// Kinds of standard deviation of a count_low roll-up.
const (
	SDPopulation = "population" // √(Σ(r − m)² / n), the default
	SDSample     = "sample"     // √(Σ(r − m)² / (n − 1))
)

// What a rank rule does with an entity whose prerequisites (requires) are not met.
const (
	PrerequisiteKeep    = "keep"    // it keeps its place among the peers (default); only its points are 0
	PrerequisiteExclude = "exclude" // it leaves the peer set: no rank, not counted in n
)

// How a rulebook scores an entity that submitted no survey for the year (Rulebook.Unsubmitted).
const (
	UnsubmittedScoreSupplied = "score_supplied" // self items 0 (未回答); ministry and roll-up values still scored (default)
	UnsubmittedZero          = "zero"           // every item 0: nothing known of the entity is scored
)

// Rank peer-set partitions.
const (
	PartitionNation     = ""           // all entities of the level (national rank)
	PartitionPrefecture = "prefecture" // within the same prefecture
	PartitionSizeBand   = "size_band"  // within the same 第1号被保険者数 band (<3k, 3k–10k, 10k–50k, 50k–100k, ≥100k)
)

// Rulebook is one fiscal year's indicators for one level. It is decoded from a JSON file; see
// README.md "Rulebook format" for the meaning of each field.
type Rulebook struct {
	FiscalYear int    `json:"fiscal_year"` // grant year 交付年度 N
	ActionYear int    `json:"action_year"` // 取組年度, normally N-1
	EraLabel   string `json:"era_label"`   // e.g. 令和8年度
	Level      Level  `json:"level"`
	Version    string `json:"version"`
	Title      string `json:"title"`
	Provenance string `json:"provenance"`

	// Unsubmitted says how an entity without a current survey of the year is scored:
	// score_supplied (default) or zero; see the Unsubmitted* constants.
	Unsubmitted string `json:"unsubmitted,omitempty"`

	Grants     []Grant     `json:"grants"`
	Goals      []Goal      `json:"goals"`
	Groups     []Group     `json:"groups"`
	Indicators []Indicator `json:"indicators"`

	// Set by Parse.
	File    string `json:"-"`
	Hash    string `json:"-"` // hex SHA-256 of the file's bytes
	Content []byte `json:"-"` // the file's bytes, stored with every run that uses it

	items map[string]*Item
	inds  map[string]*Indicator
	goals map[string]*Goal
}

// Grant is one of the grants (推進, 支援, or a separate evaluation total for care centres) whose
// total the rulebook produces.
type Grant struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Short  string  `json:"short"`
	Points float64 `json:"points"`
}

// Goal is a 目標 (or pre-2024 類型). Grants gives its points in each grant it counts in: 目標Ⅳ
// counts in both with 100 each; a 類型 of FY2023 counts 135 in 推進 and 35 in 支援.
type Goal struct {
	ID     string             `json:"id"`
	Label  string             `json:"label"`
	Name   string             `json:"name"`
	Points float64            `json:"points"` // the sum of its indicators' points
	Grants map[string]float64 `json:"grants"`
}

// Group is an indicator group such as (ⅰ)体制・取組指標群.
type Group struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Name  string `json:"name"`
}

// Indicator is a 大項目: its points are the sum (or, with combine "max", the best) of its items'
// points, capped at Points.
type Indicator struct {
	ID     string  `json:"id"`
	Goal   string  `json:"goal"`
	Group  string  `json:"group"`
	No     string  `json:"no"`
	Name   string  `json:"name"`
	Notes  string  `json:"notes,omitempty"`
	Points float64 `json:"points"`
	// Grants gives the indicator's points in each grant when they differ from Points (FY2023: the
	// same indicator counts 10 in 推進 and 5 in 支援). Default: Points in every grant of its goal.
	Grants  map[string]float64 `json:"grants,omitempty"`
	Combine string             `json:"combine,omitempty"` // sum (default) or max (the better alternative counts)
	// Capped allows the items to add up to more than Points (the excess is cut).
	Capped bool `json:"capped,omitempty"`
	// AllowNegative lets a penalty item bring the indicator below 0; by default the indicator's
	// points floor at 0 (a penalty can take away what the indicator earned, not more).
	AllowNegative bool `json:"allow_negative,omitempty"`
	// Predecessors names the indicator(s) of the previous fiscal year this one continues or
	// replaces; NotComparable marks a new indicator that must not be compared across years.
	Predecessors  []string `json:"predecessors,omitempty"`
	NotComparable bool     `json:"not_comparable,omitempty"`
	Items         []Item   `json:"items"`
}

// Item is a sub-item (枝番) that scores separately.
type Item struct {
	ID       string  `json:"id"`
	Branch   string  `json:"branch"`
	Question string  `json:"question"`
	Unit     string  `json:"unit,omitempty"`
	Source   string  `json:"source,omitempty"` // self (default), ministry, rollup; derived is set for all_of
	Points   float64 `json:"points"`
	Blank    string  `json:"blank,omitempty"` // zero (default), na, required
	// Requires lists items that must be met for this one to score (イ only with ア).
	Requires []string `json:"requires,omitempty"`
	Rule     Rule     `json:"rule"`
	Rollup   *Rollup  `json:"rollup,omitempty"`

	Indicator string `json:"-"` // set by Parse
}

// Rule says how an item's value becomes points.
type Rule struct {
	Type string `json:"type"`
	// Direction for rank, threshold and linear rules: "higher" (default) or "lower" is better.
	Direction string `json:"direction,omitempty"`
	// Min and Max bound a numeric answer (validation, inclusive).
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Bands: for threshold, value ranges [from, to); for rank, top_percent cut-offs.
	Bands []Band `json:"bands,omitempty"`
	// Options of a choice rule.
	Options []Option `json:"options,omitempty"`
	// Lower and Upper bound the linear rule: 0 points at Lower, full points at Upper (reversed
	// when Direction is lower).
	Lower *float64 `json:"lower,omitempty"`
	Upper *float64 `json:"upper,omitempty"`
	// Items of an all_of rule.
	Items []string `json:"items,omitempty"`
	// TotalOf lists answered numeric items whose sum this item's answer must equal (a check at
	// submission: counts that must add up).
	TotalOf []string `json:"total_of,omitempty"`
	// Value "change" scores this year's value of CurrentItem (default: this item, answered) minus
	// the previous fiscal year's value of PreviousItem (default: the same id as the current one).
	// An item with a CurrentItem is not asked: its source is derived.
	Value        string `json:"value,omitempty"`
	CurrentItem  string `json:"current_item,omitempty"`
	PreviousItem string `json:"previous_item,omitempty"`
	// Peers of a rank rule: partition (nation, prefecture, size_band) and denominator (answered
	// entities, the default, or all entities of the peer set).
	Peers *Peers `json:"peers,omitempty"`
}

// Peers declares the peer set of a rank rule.
type Peers struct {
	Partition   string `json:"partition,omitempty"`
	Denominator string `json:"denominator,omitempty"` // answered (default) or all
	// Prerequisite says what becomes of an entity whose prerequisites (the item's requires) are not
	// met: keep (default: it is ranked among the peers, its points are 0) or exclude (it leaves the
	// peer set: the others are ranked without it and n does not count it).
	Prerequisite string `json:"prerequisite,omitempty"`
}

// Option is one answer of a choice rule.
type Option struct {
	Value  string  `json:"value"`
	Points float64 `json:"points"`
}

// Band is one scoring band.
type Band struct {
	From       *float64 `json:"from,omitempty"`
	To         *float64 `json:"to,omitempty"`
	TopPercent float64  `json:"top_percent,omitempty"`
	Points     float64  `json:"points"`
}

// Rollup computes an item's value from the results of the entity's children in the same run:
// care centres of a municipality or prefecture, or municipalities of a prefecture.
type Rollup struct {
	Level       Level   `json:"level"`
	Measure     string  `json:"measure"`
	RateAtLeast float64 `json:"rate_at_least,omitempty"` // share_rate_at_least: threshold in %
	Item        string  `json:"item,omitempty"`          // share_item_met, mean_value: the child level's item
	SD          float64 `json:"sd,omitempty"`            // count_low: k in mean − k·SD (default 2)
	SDKind      string  `json:"sd_kind,omitempty"`       // count_low: population (default) or sample
}

// CurrentOf returns the item whose value this year a change rule uses.
func (r Rule) CurrentOf(self string) string {
	if r.CurrentItem != "" {
		return r.CurrentItem
	}
	return self
}

// PreviousOf returns the item whose value last year a change rule uses.
func (r Rule) PreviousOf(self string) string {
	if r.PreviousItem != "" {
		return r.PreviousItem
	}
	return r.CurrentOf(self)
}

// Own reports whether an item's points depend on its entity's own values alone — its answers of
// the year and the year before, the ministry's values for it, and whether it submitted — and on no
// other entity's: every item but rank items (the peers' values), roll-ups (the children's results),
// all_of items and items with prerequisites (other items' results, which may be any of those).
// An incremental score run recomputes an own item only for the entities whose inputs changed.
func (it *Item) Own() bool {
	return it.Rule.Type != RuleRank && it.Rule.Type != RuleAllOf && it.Source != SourceRollup && len(it.Requires) == 0
}

// RanksAfterPrerequisites reports whether the item is a rank rule whose peer set leaves out the
// entities whose prerequisites are not met: it is scored after its prerequisites.
func (it *Item) RanksAfterPrerequisites() bool {
	return it.Rule.Type == RuleRank && len(it.Requires) > 0 && it.Rule.Peers != nil && it.Rule.Peers.Prerequisite == PrerequisiteExclude
}

// SDKindOf returns the kind of standard deviation of a count_low roll-up (population by default).
func (r *Rollup) SDKindOf() string {
	if r.SDKind == "" {
		return SDPopulation
	}
	return r.SDKind
}

// ScoresUnsubmitted reports whether ministry-supplied and roll-up values of an entity without a
// current survey are scored (the default) rather than set to 0.
func (rb *Rulebook) ScoresUnsubmitted() bool { return rb.Unsubmitted != UnsubmittedZero }

// GrantPoints returns the indicator's points in each grant it counts in.
func (rb *Rulebook) GrantPoints(ind *Indicator) map[string]float64 {
	if len(ind.Grants) > 0 {
		return ind.Grants
	}
	out := map[string]float64{}
	if g := rb.goals[ind.Goal]; g != nil {
		for gr := range g.Grants {
			out[gr] = ind.Points
		}
	}
	return out
}

// Parse decodes and checks a rulebook file. name is used in error messages.
func Parse(name string, data []byte) (*Rulebook, error) {
	var rb Rulebook
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rb); err != nil {
		return nil, jsonError(name, data, err, dec.InputOffset())
	}
	sum := sha256.Sum256(data)
	rb.Hash = hex.EncodeToString(sum[:])
	rb.File = name
	rb.Content = data
	if errs := rb.Check(); len(errs) > 0 {
		return nil, &CheckError{File: name, Problems: errs}
	}
	return &rb, nil
}

// jsonError turns a decoding error into one that names the file and line; at is where the
// decoder stood, used when the error itself carries no offset (unknown fields).
func jsonError(name string, data []byte, err error, at int64) error {
	off := at
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		// The decoder stands past the object; find the field's own line.
		if i := strings.Index(string(data), f+":"); i >= 0 {
			off = int64(i)
		} else if i := strings.Index(string(data), f); i >= 0 {
			off = int64(i)
		}
	}
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off >= 0 {
		line := 1 + strings.Count(string(data[:min(int(off), len(data))]), "\n")
		return fmt.Errorf("%s:%d: %v", name, line, err)
	}
	return fmt.Errorf("%s: %v", name, err)
}

// CheckError lists every problem found in one rulebook.
type CheckError struct {
	File     string
	Problems []string
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("%s: %d problem(s):\n  %s", e.File, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Check validates the rulebook's structure and indexes it. It returns every problem found, each
// naming the rule by its path (indicators[3].items[1] "P1-1-a"). References to other fiscal years
// and levels (predecessors, roll-ups) are checked by Library.Check.
func (rb *Rulebook) Check() []string {
	var errs []string
	add := func(where, format string, args ...any) {
		errs = append(errs, where+": "+fmt.Sprintf(format, args...))
	}
	if rb.FiscalYear < 2018 || rb.FiscalYear > 2100 {
		add("fiscal_year", "must be a grant year from 2018, found %d", rb.FiscalYear)
	}
	switch rb.Level {
	case Municipality, Prefecture, Centre:
	default:
		add("level", "must be municipality, prefecture or centre, found %q", rb.Level)
	}
	if rb.Version == "" {
		add("version", "is empty")
	}
	switch rb.Unsubmitted {
	case "", UnsubmittedScoreSupplied, UnsubmittedZero:
	default:
		add("unsubmitted", "must be %s or %s, found %q", UnsubmittedScoreSupplied, UnsubmittedZero, rb.Unsubmitted)
	}
	grants := map[string]*Grant{}
	for i := range rb.Grants {
		g := &rb.Grants[i]
		if g.ID == "" || grants[g.ID] != nil {
			add(fmt.Sprintf("grants[%d]", i), "id %q is empty or repeated", g.ID)
		}
		grants[g.ID] = g
	}
	if len(rb.Grants) == 0 {
		add("grants", "none declared")
	}
	rb.goals = map[string]*Goal{}
	grantSum := map[string]float64{}
	for i := range rb.Goals {
		g := &rb.Goals[i]
		where := fmt.Sprintf("goals[%d] %q", i, g.ID)
		if g.ID == "" || rb.goals[g.ID] != nil {
			add(where, "id is empty or repeated")
		}
		rb.goals[g.ID] = g
		if len(g.Grants) == 0 {
			add(where, "counts in no grant")
		}
		for _, gr := range sortedKeys(g.Grants) {
			if grants[gr] == nil {
				add(where, "unknown grant %q", gr)
			}
			grantSum[gr] += g.Grants[gr]
		}
	}
	for _, g := range rb.Grants {
		if !near(grantSum[g.ID], g.Points) {
			add("grants "+g.ID, "goals add up to %g points, grant declares %g", grantSum[g.ID], g.Points)
		}
	}
	groups := map[string]bool{}
	for _, g := range rb.Groups {
		groups[g.ID] = true
	}
	rb.inds = map[string]*Indicator{}
	rb.items = map[string]*Item{}
	goalSum := map[string]float64{}
	goalGrantSum := map[[2]string]float64{}
	for i := range rb.Indicators {
		ind := &rb.Indicators[i]
		where := fmt.Sprintf("indicators[%d] %q", i, ind.ID)
		if ind.ID == "" || rb.inds[ind.ID] != nil || rb.items[ind.ID] != nil {
			add(where, "id is empty or repeated")
		}
		rb.inds[ind.ID] = ind
		goal := rb.goals[ind.Goal]
		if goal == nil {
			add(where, "unknown goal %q", ind.Goal)
		}
		if !groups[ind.Group] {
			add(where, "unknown group %q", ind.Group)
		}
		if ind.Name == "" {
			add(where, "name is empty")
		}
		if ind.Combine != "" && ind.Combine != "sum" && ind.Combine != "max" {
			add(where, "combine must be sum or max, found %q", ind.Combine)
		}
		goalSum[ind.Goal] += ind.Points
		if goal != nil {
			gp := rb.GrantPoints(ind)
			for _, gr := range sortedKeys(gp) {
				if _, ok := goal.Grants[gr]; !ok {
					add(where, "counts in grant %q, which its goal %s does not count in", gr, goal.ID)
				}
				goalGrantSum[[2]string{ind.Goal, gr}] += gp[gr]
			}
		}
		if len(ind.Items) == 0 {
			add(where, "has no items")
		}
		var itemSum, itemMax float64
		negative := false
		for j := range ind.Items {
			it := &ind.Items[j]
			it.Indicator = ind.ID
			iw := fmt.Sprintf("indicators[%d].items[%d] %q", i, j, it.ID)
			if it.ID == "" || rb.items[it.ID] != nil || rb.inds[it.ID] != nil {
				add(iw, "id is empty or repeated")
			}
			rb.items[it.ID] = it
			if it.Rule.Type == RuleAllOf || it.Rule.CurrentItem != "" {
				if it.Source != "" && it.Source != SourceDerived {
					add(iw, "an all_of item or a change of another item is derived; source must be empty or derived")
				}
				it.Source = SourceDerived
			} else if it.Source == SourceDerived {
				add(iw, "source derived is only for all_of items and changes of another item (rule.current_item)")
			}
			if it.Source == "" {
				it.Source = SourceSelf
			}
			switch it.Source {
			case SourceSelf, SourceMinistry, SourceDerived:
				if it.Rollup != nil {
					add(iw, "rollup is given but source is %s", it.Source)
				}
			case SourceRollup:
				for _, p := range checkRollup(rb.Level, it.Rollup) {
					add(iw, "%s", p)
				}
			default:
				add(iw, "source must be self, ministry or rollup, found %q", it.Source)
			}
			switch it.Blank {
			case "", BlankZero, BlankNA, BlankRequired:
			default:
				add(iw, "blank must be zero, na or required, found %q", it.Blank)
			}
			if it.Question == "" {
				add(iw, "question is empty")
			}
			itemSum += max(it.Points, 0)
			itemMax = max(itemMax, it.Points)
			negative = negative || it.Points < 0
			for _, p := range checkRule(it) {
				add(iw, "%s", p)
			}
		}
		if ind.AllowNegative && !negative {
			add(where, "allow_negative is set, but no item has negative points (a penalty)")
		}
		switch {
		case ind.Combine == "max":
			if !near(itemMax, ind.Points) {
				add(where, "the best alternative gives %g points, indicator declares %g", itemMax, ind.Points)
			}
		case ind.Capped:
			if itemSum < ind.Points-1e-9 {
				add(where, "items add up to %g points, less than the cap %g", itemSum, ind.Points)
			}
		default:
			if !near(itemSum, ind.Points) {
				add(where, "items add up to %g points, indicator declares %g", itemSum, ind.Points)
			}
		}
	}
	for _, g := range rb.Goals {
		if !near(goalSum[g.ID], g.Points) {
			add("goals "+g.ID, "indicators add up to %g points, goal declares %g", goalSum[g.ID], g.Points)
		}
		for _, gr := range sortedKeys(g.Grants) {
			if s := goalGrantSum[[2]string{g.ID, gr}]; !near(s, g.Grants[gr]) {
				add("goals "+g.ID, "indicators add up to %g points in grant %s, goal declares %g", s, gr, g.Grants[gr])
			}
		}
	}
	// References inside the rulebook: prerequisites and all_of items, without cycles.
	for _, it := range rb.Items() {
		where := fmt.Sprintf("item %q", it.ID)
		for _, r := range it.deps() {
			if rb.items[r] == nil {
				add(where, "refers to unknown item %q", r)
			} else if r == it.ID {
				add(where, "refers to itself")
			}
		}
	}
	if cyc := rb.cycle(); cyc != "" {
		add("items", "prerequisites form a cycle: %s", cyc)
	}
	return errs
}

// cycle finds a cycle in the requires/all_of graph and renders it, or returns "".
func (rb *Rulebook) cycle() string {
	state := map[string]int{} // 0 new, 1 on stack, 2 done
	var stack []string
	var found string
	var visit func(id string) bool
	visit = func(id string) bool {
		state[id] = 1
		stack = append(stack, id)
		it := rb.items[id]
		for _, d := range it.deps() {
			if rb.items[d] == nil || d == id {
				continue
			}
			if state[d] == 1 {
				k := 0
				for stack[k] != d {
					k++
				}
				found = strings.Join(append(append([]string{}, stack[k:]...), d), " → ")
				return true
			}
			if state[d] == 0 && visit(d) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = 2
		return false
	}
	for _, it := range rb.Items() {
		if state[it.ID] == 0 && visit(it.ID) {
			return found
		}
	}
	return ""
}

// DependencyOrder returns the derived and prerequisite-bearing items so that every item comes
// after the items it depends on.
func (rb *Rulebook) DependencyOrder() []*Item {
	done := map[string]bool{}
	var out []*Item
	var visit func(it *Item)
	visit = func(it *Item) {
		if done[it.ID] {
			return
		}
		done[it.ID] = true
		for _, d := range it.deps() {
			if dep := rb.items[d]; dep != nil {
				visit(dep)
			}
		}
		out = append(out, it)
	}
	for _, it := range rb.Items() {
		visit(it)
	}
	return out
}

// deps lists the items of the same rulebook this item depends on.
func (it *Item) deps() []string {
	d := append(append(append([]string{}, it.Requires...), it.Rule.Items...), it.Rule.TotalOf...)
	if it.Rule.CurrentItem != "" {
		d = append(d, it.Rule.CurrentItem)
	}
	return d
}

func checkRollup(level Level, r *Rollup) []string {
	if r == nil {
		return []string{"source rollup needs a rollup block"}
	}
	var errs []string
	switch {
	case level == Municipality && r.Level == Centre, level == Prefecture && (r.Level == Centre || r.Level == Municipality):
	default:
		errs = append(errs, fmt.Sprintf("a %s item cannot roll up %s results (children: centres of a municipality; centres or municipalities of a prefecture)", level, r.Level))
	}
	switch r.Measure {
	case MeasureShareRate:
		if r.RateAtLeast <= 0 || r.RateAtLeast > 100 {
			errs = append(errs, "rollup.rate_at_least must be in (0, 100]")
		}
	case MeasureShareMet, MeasureMeanValue:
		if r.Item == "" {
			errs = append(errs, "rollup.item is required for "+r.Measure)
		}
	case MeasureMeanRate, MeasureCountLow:
	default:
		errs = append(errs, fmt.Sprintf("unknown rollup.measure %q (known: %s, %s, %s, %s, %s)", r.Measure,
			MeasureShareRate, MeasureShareMet, MeasureMeanRate, MeasureMeanValue, MeasureCountLow))
	}
	if r.Measure != MeasureCountLow && (r.SD != 0 || r.SDKind != "") {
		errs = append(errs, "rollup.sd and rollup.sd_kind are only for count_low")
	}
	if r.Measure == MeasureCountLow {
		switch r.SDKind {
		case "", SDPopulation, SDSample:
		default:
			errs = append(errs, fmt.Sprintf("rollup.sd_kind must be %s or %s, found %q", SDPopulation, SDSample, r.SDKind))
		}
		if _, _, ok := sdFactor(r); !ok {
			errs = append(errs, fmt.Sprintf("rollup.sd must be in (0, 10] with at most 3 decimal places, found %g", r.SD))
		}
	}
	return errs
}

// sdFactor returns k of a count_low roll-up (mean − k·SD) as an integer and a power of ten,
// k = K / 10^d, so that the compiled SQL compares exactly; ok is false for a k outside (0, 10] or
// with more than 3 decimal places.
func sdFactor(r *Rollup) (K int64, d int, ok bool) {
	k := r.SD
	if k == 0 {
		k = defaultLowSDCount
	}
	if k <= 0 || k > 10 {
		return 0, 0, false
	}
	text := num(k)
	whole, frac, _ := strings.Cut(text, ".")
	if len(frac) > 3 {
		return 0, 0, false
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return n, len(frac), true
}

func checkRule(it *Item) []string {
	var errs []string
	r := it.Rule
	if r.Direction != "" && r.Direction != "higher" && r.Direction != "lower" {
		errs = append(errs, fmt.Sprintf("rule.direction must be higher or lower, found %q", r.Direction))
	}
	if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
		errs = append(errs, "rule.min is above rule.max")
	}
	if r.Value != "" && r.Value != "change" {
		errs = append(errs, fmt.Sprintf("rule.value must be empty or change, found %q", r.Value))
	}
	if r.Value == "" && (r.PreviousItem != "" || r.CurrentItem != "") {
		errs = append(errs, "rule.previous_item and rule.current_item are only for value change")
	}
	best := 0.0
	for _, b := range r.Bands {
		best = max(best, b.Points)
	}
	numeric := false
	switch r.Type {
	case RuleYesNo:
		if len(r.Bands)+len(r.Options) > 0 {
			errs = append(errs, "a yesno rule takes no bands or options")
		}
		best = it.Points
	case RuleChoice:
		if len(r.Options) < 2 {
			errs = append(errs, "a choice rule needs at least two options")
		}
		seen := map[string]bool{}
		best = 0
		for k, o := range r.Options {
			if o.Value == "" || seen[o.Value] {
				errs = append(errs, fmt.Sprintf("rule.options[%d] value %q is empty or repeated", k, o.Value))
			}
			seen[o.Value] = true
			best = max(best, o.Points)
		}
	case RuleThreshold:
		numeric = true
		if len(r.Bands) == 0 {
			errs = append(errs, "a threshold rule needs bands")
			break
		}
		for k, b := range r.Bands {
			if k > 0 {
				prev := r.Bands[k-1]
				if prev.To == nil || b.From == nil || !near(*prev.To, *b.From) {
					errs = append(errs, fmt.Sprintf("rule.bands[%d] does not start where bands[%d] ends (gap or overlap)", k, k-1))
				}
			}
			if b.From != nil && b.To != nil && *b.From >= *b.To {
				errs = append(errs, fmt.Sprintf("rule.bands[%d] is empty: from %g is not below to %g", k, *b.From, *b.To))
			}
		}
		if last := r.Bands[len(r.Bands)-1]; last.To != nil && (r.Max == nil || *last.To <= *r.Max) {
			errs = append(errs, "rule.bands: the last band must be open (no to) or end above rule.max")
		}
		if first := r.Bands[0]; first.From != nil && (r.Min == nil || *first.From > *r.Min) {
			errs = append(errs, "rule.bands: the first band must be open (no from) or start at or below rule.min")
		}
	case RuleLinear:
		numeric = true
		if r.Lower == nil || r.Upper == nil || *r.Lower >= *r.Upper {
			errs = append(errs, "a linear rule needs lower < upper")
		}
		best = it.Points
	case RuleRank:
		numeric = true
		if len(r.Bands) == 0 {
			errs = append(errs, "a rank rule needs bands")
		}
		for k, b := range r.Bands {
			if b.TopPercent <= 0 || b.TopPercent > 100 {
				errs = append(errs, fmt.Sprintf("rule.bands[%d].top_percent must be in (0, 100], found %g", k, b.TopPercent))
			}
			if k > 0 && b.TopPercent <= r.Bands[k-1].TopPercent {
				errs = append(errs, fmt.Sprintf("rule.bands[%d].top_percent must grow from band to band (gap or overlap)", k))
			}
			if k > 0 && b.Points > r.Bands[k-1].Points {
				errs = append(errs, fmt.Sprintf("rule.bands[%d] gives more points than the better band before it", k))
			}
		}
		if p := r.Peers; p != nil {
			if p.Partition != PartitionNation && p.Partition != PartitionPrefecture && p.Partition != PartitionSizeBand {
				errs = append(errs, fmt.Sprintf("rule.peers.partition must be empty, prefecture or size_band, found %q", p.Partition))
			}
			if p.Denominator != "" && p.Denominator != "answered" && p.Denominator != "all" {
				errs = append(errs, fmt.Sprintf("rule.peers.denominator must be answered or all, found %q", p.Denominator))
			}
			switch p.Prerequisite {
			case "", PrerequisiteKeep:
			case PrerequisiteExclude:
				if len(it.Requires) == 0 {
					errs = append(errs, "rule.peers.prerequisite exclude needs prerequisites (requires) to exclude by")
				}
			default:
				errs = append(errs, fmt.Sprintf("rule.peers.prerequisite must be %s or %s, found %q", PrerequisiteKeep, PrerequisiteExclude, p.Prerequisite))
			}
		}
	case RuleAllOf:
		if len(r.Items) < 2 {
			errs = append(errs, "an all_of rule needs at least two items")
		}
		best = it.Points
	case RuleValue:
		numeric = true
		if it.Points != 0 {
			errs = append(errs, "a value rule records a number without points: points must be 0")
		}
	default:
		errs = append(errs, fmt.Sprintf("unknown rule type %q (known: %s)", r.Type, strings.Join(RuleTypes, ", ")))
	}
	if r.Value == "change" && !numeric {
		errs = append(errs, "value change needs a numeric rule (threshold, linear or rank)")
	}
	if r.Type != "" && !near(best, it.Points) && it.Points >= 0 {
		errs = append(errs, fmt.Sprintf("the best outcome gives %g points, the item declares %g", best, it.Points))
	}
	if it.Points < 0 && r.Type != RuleYesNo {
		errs = append(errs, "negative points are only for yesno items (a penalty when yes)")
	}
	if it.Source == SourceRollup && !numeric {
		errs = append(errs, "a rollup item needs a numeric rule (threshold, linear or rank)")
	}
	// Values are scored as DECIMAL(18,6) and points as DECIMAL(9,2): the numbers they are compared
	// with must be exact in those types.
	if decimals(it.Points) > 2 {
		errs = append(errs, fmt.Sprintf("points %g: at most 2 decimal places", it.Points))
	}
	for _, o := range r.Options {
		if decimals(o.Points) > 2 {
			errs = append(errs, fmt.Sprintf("rule.options %q: points %g: at most 2 decimal places", o.Value, o.Points))
		}
	}
	for k, b := range r.Bands {
		for _, f := range []*float64{b.From, b.To} {
			if f != nil && decimals(*f) > 6 {
				errs = append(errs, fmt.Sprintf("rule.bands[%d]: %g has more than 6 decimal places", k, *f))
			}
		}
		if decimals(b.Points) > 2 || decimals(b.TopPercent) > 6 {
			errs = append(errs, fmt.Sprintf("rule.bands[%d]: points take at most 2 decimal places, top_percent at most 6", k))
		}
	}
	for _, f := range []*float64{r.Lower, r.Upper, r.Min, r.Max} {
		if f != nil && decimals(*f) > 6 {
			errs = append(errs, fmt.Sprintf("rule: %g has more than 6 decimal places", *f))
		}
	}
	return errs
}

// decimals returns the number of decimal places of f written the shortest way (0.25 → 2).
func decimals(f float64) int {
	_, frac, _ := strings.Cut(num(f), ".")
	return len(frac)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

// Item returns the item with the given id.
func (rb *Rulebook) Item(id string) (*Item, bool) { it, ok := rb.items[id]; return it, ok }

// Indicator returns the indicator with the given id.
func (rb *Rulebook) Indicator(id string) (*Indicator, bool) { ind, ok := rb.inds[id]; return ind, ok }

// Goal returns the goal with the given id.
func (rb *Rulebook) Goal(id string) (*Goal, bool) { g, ok := rb.goals[id]; return g, ok }

// Items returns every item in rulebook order.
func (rb *Rulebook) Items() []*Item {
	var out []*Item
	for i := range rb.Indicators {
		for j := range rb.Indicators[i].Items {
			out = append(out, &rb.Indicators[i].Items[j])
		}
	}
	return out
}

// SelfItems returns the items the reporting body answers itself, in rulebook order.
func (rb *Rulebook) SelfItems() []*Item {
	var out []*Item
	for _, it := range rb.Items() {
		if it.Source == SourceSelf {
			out = append(out, it)
		}
	}
	return out
}

// Levels lists the levels of a fiscal year that have a rulebook, children first (centre,
// municipality, prefecture): the order in which they are scored.
func (l *Library) Levels(fy int) []Level {
	var out []Level
	for _, lv := range []Level{Centre, Municipality, Prefecture} {
		if l.books[key{fy, lv}] != nil {
			out = append(out, lv)
		}
	}
	return out
}

// MaxPoints is the full score of the rulebook: the sum over grants.
func (rb *Rulebook) MaxPoints() float64 {
	var s float64
	for _, g := range rb.Grants {
		s += g.Points
	}
	return s
}

// Library is the set of rulebooks available to a run, keyed by fiscal year and level.
type Library struct {
	books map[key]*Rulebook
}

type key struct {
	fy    int
	level Level
}

// Load reads every *.json rulebook in dir of fsys and checks each one alone. Every broken file is
// reported, not only the first. Library.Check verifies what crosses files.
func Load(fsys fs.FS, dir string) (*Library, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	lib := &Library{books: map[key]*Rulebook{}}
	var errs []error
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rb, err := Parse(n, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		k := key{rb.FiscalYear, rb.Level}
		if prev := lib.books[k]; prev != nil {
			errs = append(errs, fmt.Errorf("%s: fiscal year %d level %s is already defined by %s", n, rb.FiscalYear, rb.Level, prev.File))
			continue
		}
		lib.books[k] = rb
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(lib.books) == 0 {
		return nil, fmt.Errorf("no rulebook (*.json) found in %s", dir)
	}
	return lib, nil
}

// Check verifies what crosses files: predecessors name indicators of the previous fiscal year's
// rulebook of the same level, and roll-ups name items of the child level's rulebook of the same
// year.
func (l *Library) Check() []error {
	var errs []error
	for _, rb := range l.All() {
		prev := l.books[key{rb.FiscalYear - 1, rb.Level}]
		for i, ind := range rb.Indicators {
			for _, p := range ind.Predecessors {
				if prev == nil {
					errs = append(errs, fmt.Errorf("%s: indicators[%d] %q: predecessor %q, but there is no FY%d %s rulebook", rb.File, i, ind.ID, p, rb.FiscalYear-1, rb.Level))
				} else if _, ok := prev.inds[p]; !ok {
					errs = append(errs, fmt.Errorf("%s: indicators[%d] %q: predecessor %q is not an indicator of %s", rb.File, i, ind.ID, p, prev.File))
				}
			}
		}
		for _, it := range rb.Items() {
			if it.Rollup == nil || it.Rollup.Item == "" {
				continue
			}
			child := l.books[key{rb.FiscalYear, it.Rollup.Level}]
			if child == nil {
				errs = append(errs, fmt.Errorf("%s: item %q rolls up %s item %q, but there is no FY%d %s rulebook", rb.File, it.ID, it.Rollup.Level, it.Rollup.Item, rb.FiscalYear, it.Rollup.Level))
			} else if _, ok := child.items[it.Rollup.Item]; !ok {
				errs = append(errs, fmt.Errorf("%s: item %q rolls up unknown item %q of %s", rb.File, it.ID, it.Rollup.Item, child.File))
			}
		}
		for _, it := range rb.Items() {
			if it.Rule.Value == "change" && prev != nil {
				id := it.Rule.PreviousOf(it.ID)
				if _, ok := prev.items[id]; !ok {
					errs = append(errs, fmt.Errorf("%s: item %q compares with previous item %q, which %s does not have", rb.File, it.ID, id, prev.File))
				}
			}
		}
	}
	return errs
}

// With returns a copy of the library in which rb takes the place of the rulebook of its year and
// level, for checking a draft against the rulebooks around it.
func (l *Library) With(rb *Rulebook) *Library {
	out := &Library{books: map[key]*Rulebook{}}
	for k, v := range l.books {
		out.books[k] = v
	}
	out.books[key{rb.FiscalYear, rb.Level}] = rb
	return out
}

// Get returns the rulebook for a fiscal year and level, or an error listing what exists.
func (l *Library) Get(fy int, level Level) (*Rulebook, error) {
	if rb := l.books[key{fy, level}]; rb != nil {
		return rb, nil
	}
	var have []string
	for _, rb := range l.All() {
		have = append(have, fmt.Sprintf("%d/%s", rb.FiscalYear, rb.Level))
	}
	return nil, fmt.Errorf("no rulebook for fiscal year %d level %s (have: %s)", fy, level, strings.Join(have, ", "))
}

// All returns every rulebook ordered by fiscal year and level.
func (l *Library) All() []*Rulebook {
	out := make([]*Rulebook, 0, len(l.books))
	for _, rb := range l.books {
		out = append(out, rb)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].FiscalYear != out[j].FiscalYear {
			return out[i].FiscalYear < out[j].FiscalYear
		}
		return out[i].Level < out[j].Level
	})
	return out
}
