package indicators

import (
	"fmt"
	"sort"
	"strings"
)

// Kinds of change between two years' indicators (新旧対照表).
const (
	ChangeAdded     = "追加"     // new, with no predecessor
	ChangeRetired   = "廃止"     // not continued by any indicator of the new year
	ChangeReplaced  = "置換"     // a new indicator that replaces other indicator(s)
	ChangeRepointed = "配点変更"   // continued, with other points
	ChangeRescored  = "採点方法変更" // continued, same points, another scoring rule for a sub-item
	ChangeReworded  = "文言変更"   // continued, same points and rules, other wording or sub-items
	ChangeSame      = "変更なし"
)

// ChangeKinds lists the kinds of change in report order.
var ChangeKinds = []string{ChangeAdded, ChangeRetired, ChangeReplaced, ChangeRepointed, ChangeRescored, ChangeReworded, ChangeSame}

// Change is one row of a 新旧対照表: an old indicator, a new one, or both.
type Change struct {
	Kind    string
	Old     []*Indicator // more than one when several are replaced by one
	New     *Indicator
	Details []string
	// NotComparable is set when the new indicator is marked not comparable with earlier years.
	NotComparable bool
}

// Diff compares two rulebooks of the same level. A new indicator continues the old one it names
// as predecessor (or, with no predecessors, the old one of the same id unless it is marked not
// comparable); naming other ids makes it a replacement. Old indicators nobody continues are
// retired. Rows come in the new rulebook's order, retired ones last in the old order.
func Diff(from, to *Rulebook) []Change {
	var out []Change
	used := map[string]bool{}
	for i := range to.Indicators {
		n := &to.Indicators[i]
		preds := n.Predecessors
		if len(preds) == 0 && !n.NotComparable {
			if _, ok := from.inds[n.ID]; ok {
				preds = []string{n.ID}
			}
		}
		var olds []*Indicator
		for _, p := range preds {
			if o, ok := from.inds[p]; ok {
				olds = append(olds, o)
				used[p] = true
			}
		}
		c := Change{New: n, Old: olds, NotComparable: n.NotComparable}
		switch {
		case len(olds) == 0:
			c.Kind = ChangeAdded
			if n.NotComparable {
				c.Details = append(c.Details, "経年比較不可")
			}
		case len(olds) > 1 || olds[0].ID != n.ID:
			c.Kind = ChangeReplaced
			ids := make([]string, len(olds))
			for k, o := range olds {
				ids[k] = o.ID
			}
			c.Details = append(c.Details, "旧 "+strings.Join(ids, "・")+" を置換")
			c.Details = append(c.Details, compare(from, to, olds[0], n)...)
		default:
			c.Details = compare(from, to, olds[0], n)
			switch {
			case olds[0].Points != n.Points || goalLabel(from, olds[0]) != goalLabel(to, n):
				c.Kind = ChangeRepointed
			case rescored(olds[0], n):
				c.Kind = ChangeRescored
			case len(c.Details) > 0:
				c.Kind = ChangeReworded
			default:
				c.Kind = ChangeSame
			}
		}
		out = append(out, c)
	}
	for i := range from.Indicators {
		o := &from.Indicators[i]
		if !used[o.ID] {
			out = append(out, Change{Kind: ChangeRetired, Old: []*Indicator{o}})
		}
	}
	return out
}

// rescored reports whether a sub-item present in both years changed its rule type.
func rescored(o, n *Indicator) bool {
	old := map[string]string{}
	for _, it := range o.Items {
		old[it.Branch] = it.Rule.Type
	}
	for _, it := range n.Items {
		if t, ok := old[it.Branch]; ok && t != it.Rule.Type {
			return true
		}
	}
	return false
}

func goalLabel(rb *Rulebook, ind *Indicator) string {
	if g, ok := rb.goals[ind.Goal]; ok {
		return g.Label
	}
	return ind.Goal
}

// compare lists what differs between an old and a new indicator, in Japanese.
func compare(from, to *Rulebook, o, n *Indicator) []string {
	var d []string
	if o.Points != n.Points {
		d = append(d, fmt.Sprintf("配点 %s点→%s点", num(o.Points), num(n.Points)))
	}
	if a, b := goalLabel(from, o), goalLabel(to, n); a != b {
		d = append(d, fmt.Sprintf("目標 %s→%s", a, b))
	}
	if o.Name != n.Name {
		d = append(d, fmt.Sprintf("指標名「%s」→「%s」", o.Name, n.Name))
	}
	oi := map[string]*Item{}
	for k := range o.Items {
		oi[o.Items[k].Branch] = &o.Items[k]
	}
	ni := map[string]bool{}
	for k := range n.Items {
		it := &n.Items[k]
		ni[it.Branch] = true
		old, ok := oi[it.Branch]
		switch {
		case !ok:
			d = append(d, fmt.Sprintf("%s 追加「%s」（%s点）", it.Branch, it.Question, num(it.Points)))
		default:
			if old.Question != it.Question {
				d = append(d, fmt.Sprintf("%s 設問「%s」→「%s」", it.Branch, old.Question, it.Question))
			}
			if old.Points != it.Points {
				d = append(d, fmt.Sprintf("%s 配点 %s点→%s点", it.Branch, num(old.Points), num(it.Points)))
			}
			if old.Rule.Type != it.Rule.Type {
				d = append(d, fmt.Sprintf("%s 採点方法 %s→%s", it.Branch, old.Rule.Type, it.Rule.Type))
			}
		}
	}
	var gone []string
	for b := range oi {
		if !ni[b] {
			gone = append(gone, b)
		}
	}
	sort.Strings(gone)
	for _, b := range gone {
		d = append(d, fmt.Sprintf("%s 削除「%s」", b, oi[b].Question))
	}
	return d
}

// GoalLabel returns the label of an indicator's goal in rb (for reports).
func (rb *Rulebook) GoalLabel(ind *Indicator) string { return goalLabel(rb, ind) }
