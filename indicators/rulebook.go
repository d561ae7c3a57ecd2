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
	"strings"
)

// Level is the kind of reporting body a rulebook applies to.
type Level string

// The levels of reporting body.
const (
	Municipality Level = "municipality"
	Prefecture   Level = "prefecture"
	Centre       Level = "centre"
)

// LabelJA returns the Japanese name of the level.
func (l Level) LabelJA() string {
	switch l {
	case Municipality:
		return "市町村"
	case Prefecture:
		return "都道府県"
	case Centre:
		return "地域包括支援センター"
	}
	return string(l)
}

// Rule types an item can declare.
const (
	RuleYesNo     = "yesno"     // はい/いいえ; points when yes
	RuleThreshold = "threshold" // numeric value scored by bands [from, to)
	RuleRank      = "rank"      // numeric value scored by national rank bands (competition ranking)
)

// Sources of an item's value.
const (
	SourceSelf     = "self"     // answered by the reporting body in its survey workbook
	SourceMinistry = "ministry" // supplied by the ministry (e.g. 目標Ⅳ outcomes)
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

// Grant is one of the grants (推進, 支援) whose total the rulebook produces.
type Grant struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Short  string  `json:"short"`
	Points float64 `json:"points"`
}

// Goal is a 目標 (or pre-2024 類型). It counts in one or more grants with the same points in each.
type Goal struct {
	ID     string   `json:"id"`
	Label  string   `json:"label"`
	Name   string   `json:"name"`
	Grants []string `json:"grants"`
	Points float64  `json:"points"`
}

// Group is an indicator group such as (ⅰ)体制・取組指標群.
type Group struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Name  string `json:"name"`
}

// Indicator is a 大項目: its points are the sum of its items' points, capped at Points.
type Indicator struct {
	ID       string  `json:"id"`
	Goal     string  `json:"goal"`
	Group    string  `json:"group"`
	No       string  `json:"no"`
	Name     string  `json:"name"`
	Notes    string  `json:"notes,omitempty"`
	Points   float64 `json:"points"`
	Items    []Item  `json:"items"`
	position int
}

// Item is a sub-item (枝番) that scores separately.
type Item struct {
	ID       string  `json:"id"`
	Branch   string  `json:"branch"`
	Question string  `json:"question"`
	Unit     string  `json:"unit,omitempty"`
	Source   string  `json:"source,omitempty"` // self (default) or ministry
	Points   float64 `json:"points"`
	Rule     Rule    `json:"rule"`

	Indicator string `json:"-"` // set by Parse
	position  int
}

// Rule says how an item's answer becomes points.
type Rule struct {
	Type string `json:"type"`
	// Direction for rank and threshold rules: "higher" (default) or "lower" is better.
	Direction string `json:"direction,omitempty"`
	// Min and Max bound a numeric answer (validation, inclusive).
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Bands: for threshold, value ranges [from, to); for rank, top_percent cut-offs.
	Bands []Band `json:"bands,omitempty"`
}

// Band is one scoring band.
type Band struct {
	From       *float64 `json:"from,omitempty"`
	To         *float64 `json:"to,omitempty"`
	TopPercent float64  `json:"top_percent,omitempty"`
	Points     float64  `json:"points"`
}

// Parse decodes and checks a rulebook file. name is used in error messages.
func Parse(name string, data []byte) (*Rulebook, error) {
	var rb Rulebook
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rb); err != nil {
		return nil, jsonError(name, data, err)
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

// jsonError turns a decoding error into one that names the file and line.
func jsonError(name string, data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
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
// naming the rule by its path (indicators[3].items[1] "P1-1-a").
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
	grants := map[string]*Grant{}
	for i := range rb.Grants {
		g := &rb.Grants[i]
		if g.ID == "" || grants[g.ID] != nil {
			add(fmt.Sprintf("grants[%d]", i), "id %q is empty or repeated", g.ID)
		}
		grants[g.ID] = g
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
		for _, gr := range g.Grants {
			if grants[gr] == nil {
				add(where, "unknown grant %q", gr)
			}
			grantSum[gr] += g.Points
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
	for i := range rb.Indicators {
		ind := &rb.Indicators[i]
		ind.position = i
		where := fmt.Sprintf("indicators[%d] %q", i, ind.ID)
		if ind.ID == "" || rb.inds[ind.ID] != nil || rb.items[ind.ID] != nil {
			add(where, "id is empty or repeated")
		}
		rb.inds[ind.ID] = ind
		if rb.goals[ind.Goal] == nil {
			add(where, "unknown goal %q", ind.Goal)
		}
		if !groups[ind.Group] {
			add(where, "unknown group %q", ind.Group)
		}
		if ind.Name == "" {
			add(where, "name is empty")
		}
		goalSum[ind.Goal] += ind.Points
		if len(ind.Items) == 0 {
			add(where, "has no items")
		}
		var itemSum float64
		for j := range ind.Items {
			it := &ind.Items[j]
			it.Indicator = ind.ID
			it.position = j
			iw := fmt.Sprintf("indicators[%d].items[%d] %q", i, j, it.ID)
			if it.ID == "" || rb.items[it.ID] != nil || rb.inds[it.ID] != nil {
				add(iw, "id is empty or repeated")
			}
			rb.items[it.ID] = it
			if it.Source == "" {
				it.Source = SourceSelf
			}
			if it.Source != SourceSelf && it.Source != SourceMinistry {
				add(iw, "source must be self or ministry, found %q", it.Source)
			}
			if it.Question == "" {
				add(iw, "question is empty")
			}
			itemSum += it.Points
			for _, p := range checkRule(it) {
				add(iw, "%s", p)
			}
		}
		if !near(itemSum, ind.Points) {
			add(where, "items add up to %g points, indicator declares %g", itemSum, ind.Points)
		}
	}
	for _, g := range rb.Goals {
		if !near(goalSum[g.ID], g.Points) {
			add("goals "+g.ID, "indicators add up to %g points, goal declares %g", goalSum[g.ID], g.Points)
		}
	}
	return errs
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
	maxBand := 0.0
	for _, b := range r.Bands {
		maxBand = max(maxBand, b.Points)
	}
	switch r.Type {
	case RuleYesNo:
		if len(r.Bands) > 0 {
			errs = append(errs, "a yesno rule takes no bands")
		}
	case RuleThreshold:
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
	case RuleRank:
		if len(r.Bands) == 0 {
			errs = append(errs, "a rank rule needs bands")
		}
		for k, b := range r.Bands {
			if b.TopPercent <= 0 || b.TopPercent > 100 {
				errs = append(errs, fmt.Sprintf("rule.bands[%d].top_percent must be in (0, 100], found %g", k, b.TopPercent))
			}
			if k > 0 && b.TopPercent <= r.Bands[k-1].TopPercent {
				errs = append(errs, fmt.Sprintf("rule.bands[%d].top_percent must grow from band to band", k))
			}
			if k > 0 && b.Points > r.Bands[k-1].Points {
				errs = append(errs, fmt.Sprintf("rule.bands[%d] gives more points than the better band before it", k))
			}
		}
	default:
		errs = append(errs, fmt.Sprintf("unknown rule type %q (known: %s, %s, %s)", r.Type, RuleYesNo, RuleThreshold, RuleRank))
	}
	if (r.Type == RuleThreshold || r.Type == RuleRank) && !near(maxBand, it.Points) {
		errs = append(errs, fmt.Sprintf("the best band gives %g points, the item declares %g", maxBand, it.Points))
	}
	return errs
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

// Load reads every *.json rulebook in dir of fsys and checks each one. Every broken file is
// reported, not only the first.
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
