package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/indicators"
	"github.com/kofukin/kofukin/internal/atomicfile"
	"github.com/kofukin/kofukin/store"
)

// ReviewItems maps the store's review rows to the rows of the review workbook's 「回答と得点」
// sheet, in the same order.
func ReviewItems(items []store.ReviewItem) []exporters.ReviewItem {
	out := make([]exporters.ReviewItem, len(items))
	for i, it := range items {
		out[i] = reviewItem(it)
	}
	return out
}

func reviewItem(it store.ReviewItem) exporters.ReviewItem {
	return exporters.ReviewItem{ItemID: it.ItemID, Answer: it.Answer, Points: it.Points, Max: it.Max, Status: it.Status, Reason: it.Reason,
		NationalRate: it.NationalRate, PrefRate: it.PrefRate, PrevAnswer: it.PrevAnswer, Z: it.Z}
}

// reviewRows are the store's rows the review and feedback workbooks are made of.
type reviewRows struct {
	munis   []store.ReviewLine
	items   []store.ReviewItem
	chain   []store.ChainSheetLine
	centres []store.CentreSheetLine
	rates   []store.GoalRate
	bins    []store.ChartBin
	diag    diagnosisRows
}

// diagnosisRows are the store's rows of every municipality's 地域診断 (the feedback sheets' block).
type diagnosisRows struct {
	peers    map[string][]store.PeerItem
	outcomes map[string][]store.OutcomeValue
	yen      map[string]store.YenPerPerson
}

// readDiagnosis reads the 地域診断 rows of municipality code ("" for all) of a score run and the
// allocation run made from it.
func (r *Runner) readDiagnosis(ctx context.Context, fy int, scoreRun, allocRun int64, code string) (diagnosisRows, error) {
	d := diagnosisRows{peers: map[string][]store.PeerItem{}, outcomes: map[string][]store.OutcomeValue{}, yen: map[string]store.YenPerPerson{}}
	peers, err := r.Store.Scores().PeerItems(ctx, scoreRun, fy, DiagnosisPeerShare, code)
	if err != nil {
		return d, fmt.Errorf("peer items of run %d: %w", scoreRun, err)
	}
	for _, p := range peers {
		d.peers[p.Code] = append(d.peers[p.Code], p)
	}
	outs, err := r.Store.Scores().Outcomes(ctx, scoreRun, fy, code)
	if err != nil {
		return d, fmt.Errorf("outcome values of run %d: %w", scoreRun, err)
	}
	for _, o := range outs {
		d.outcomes[o.Code] = append(d.outcomes[o.Code], o)
	}
	yen, err := r.Store.Allocations().YenPerPersons(ctx, allocRun, fy, code)
	if err != nil {
		return d, fmt.Errorf("yen per person of run %d: %w", allocRun, err)
	}
	for _, y := range yen {
		d.yen[y.Code] = y
	}
	return d, nil
}

// chartStep is the width of a bin of 「得点分布」: the rulebook's maximum in 16 bins.
func chartStep(rb *indicators.Rulebook) float64 { return rb.MaxPoints() / 16 }

// readReviewRows reads the rows of the review and feedback workbooks of an allocation run.
func (r *Runner) readReviewRows(ctx context.Context, fy int, alloc *store.Run, man AllocateManifest) (*reviewRows, error) {
	rb, err := r.Rulebooks.Get(fy, indicators.Municipality)
	if err != nil {
		return nil, err
	}
	var rr reviewRows
	if rr.munis, err = r.Store.Scores().ReviewSheet(ctx, alloc.ID, man.ScoreRunID, fy); err != nil {
		return nil, err
	}
	if rr.items, err = r.Store.Scores().ReviewItems(ctx, man.ScoreRunID, man.PrevScoreRunID); err != nil {
		return nil, err
	}
	if rr.chain, err = r.Store.Allocations().ChainSheet(ctx, alloc.ID); err != nil {
		return nil, err
	}
	if rr.centres, err = r.Store.Scores().CentreSheet(ctx, man.ScoreRunID, fy); err != nil {
		return nil, err
	}
	if rr.rates, err = r.Store.Scores().GoalRates(ctx, man.ScoreRunID, fy); err != nil {
		return nil, err
	}
	if rr.bins, err = r.Store.Scores().ChartBins(ctx, man.ScoreRunID, chartStep(rb)); err != nil {
		return nil, err
	}
	if rr.diag, err = r.readDiagnosis(ctx, fy, man.ScoreRunID, alloc.ID, ""); err != nil {
		return nil, err
	}
	return &rr, nil
}

// writeReviews writes, for each prefecture, its review workbook (review/) and its municipalities'
// feedback workbook (feedback/) from the rows readReviewRows read, and returns the files written.
func (r *Runner) writeReviews(ctx context.Context, fy int, alloc *store.Run, man AllocateManifest, prefLines []exporters.PrefectureLine, dir string, rr *reviewRows) ([]string, error) {
	rb, err := r.Rulebooks.Get(fy, indicators.Municipality)
	if err != nil {
		return nil, err
	}
	munis := rr.munis
	byCode := map[string][]exporters.ReviewItem{}
	for _, it := range rr.items {
		byCode[it.Code] = append(byCode[it.Code], reviewItem(it))
	}
	poolName, poolYen := map[string]string{}, map[string]int64{}
	for _, p := range man.Results {
		poolName[p.ID], poolYen[p.ID] = p.Name, p.PoolYen
	}
	// Σ score × weight of each pool (exact in SQL, printed as given), for the explanation chain and
	// the worth of a point.
	poolSum := map[string]float64{}
	chain := map[string][]exporters.ChainLine{}
	for _, a := range rr.chain {
		poolSum[a.PoolID] = a.Sum
		chain[a.Code] = append(chain[a.Code], exporters.ChainLine{Pool: poolName[a.PoolID], Score: a.Score, Weight: a.Weight,
			WeightedScore: a.WeightedScore, Sum: a.Sum, PoolYen: poolYen[a.PoolID], ProposalYen: a.ProposalYen, CapYen: a.CapYen, AmountYen: a.AmountYen})
	}
	centres := rr.centres
	goalsOf := map[string][]store.GoalRate{}
	for _, g := range rr.rates {
		goalsOf[g.Code] = append(goalsOf[g.Code], g)
	}
	labels, _ := itemLabels(rb)
	bins := []string{}
	step := chartStep(rb)
	for k := 0; k < 16; k++ {
		bins = append(bins, fmt.Sprintf("%g～", math.Round(step*float64(k))))
	}
	binOf := func(total float64) int {
		k := int(total / step)
		return min(max(k, 0), 15)
	}
	nation := make([]float64, 16)
	for _, b := range rr.bins {
		for range b.Count {
			nation[b.Bin] += 1 / float64(b.N)
		}
	}
	fbIn := &feedbackInputs{rb: rb, goalsOf: goalsOf, poolSum: poolSum, poolYen: poolYen, diag: &rr.diag}
	type job struct {
		rv exporters.Review
		fb exporters.Feedback
	}
	var jobs []job
	prefs := append([]exporters.PrefectureLine(nil), prefLines...)
	sort.Slice(prefs, func(i, j int) bool { return prefs[i].Code < prefs[j].Code })
	for _, p := range prefs {
		pc := p.Code[:2]
		if r.reviewsOf != nil && !r.reviewsOf[pc] {
			continue
		}
		rv := exporters.Review{FiscalYear: fy, EraLabel: rb.EraLabel, PrefCode: p.Code, PrefName: p.Name, ScoreRunID: man.ScoreRunID,
			AllocateRunID: alloc.ID, Labels: labels, ChartBins: bins, NationBins: nation, PrefBins: make([]float64, 16)}
		fb := exporters.Feedback{FiscalYear: fy, EraLabel: rb.EraLabel, PrefCode: p.Code, PrefName: p.Name}
		inPref := inPrefecture(munis, func(m store.ReviewLine) string { return m.PrefectureCode }, pc)
		for _, row := range inPref {
			if at := row.ReviewedAt; at != nil && (rv.VerdictsAsOf == nil || at.After(*rv.VerdictsAsOf)) {
				rv.VerdictsAsOf = at
			}
			rv.PrefBins[binOf(row.Total)] += 1 / float64(len(inPref))
			rm := exporters.ReviewMunicipality{Code: row.Code, Name: row.Name, Submitted: row.Submitted, Insured65: row.Age65Plus, Total: row.Total,
				Max: row.Max, Rate: row.Rate, NationalRank: row.NationalRank, Of: row.Of, PrefRank: int(row.PrefRank), YenTotal: row.YenTotal,
				Items: byCode[row.Code], Chain: chain[row.Code], Status: row.Status, Comment: row.Comment}
			rm.Flags = exporters.ReviewFlagsNamed(rm.Items, row.Submitted, labels)
			rv.Municipalities = append(rv.Municipalities, rm)

			fb.Municipalities = append(fb.Municipalities, fbIn.municipality(row))
		}
		for _, c := range inPrefecture(centres, func(c store.CentreSheetLine) string { return c.PrefectureCode }, pc) {
			rv.Centres = append(rv.Centres, exporters.CentreLine{Code: c.Code, Name: c.Name, Municipality: c.Municipality, Submitted: c.Submitted, Total: c.Total, Max: c.Max, Rate: c.Rate})
		}
		jobs = append(jobs, job{rv, fb})
	}
	// The 47 + 47 workbooks are independent: made on all cores (sem), each pair then written to
	// disk outside the cores' slots, so that another pair is made while a file is synced. Each
	// one's bytes depend on its own data only, and the list of files keeps the prefectures' order,
	// so the output is the same whatever the scheduling.
	files := make([]string, 2*len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for k := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			if ctx.Err() != nil {
				<-sem
				errs[k] = ctx.Err()
				return
			}
			j := jobs[k]
			var review, feedback bytes.Buffer
			err := exporters.WriteReview(&review, j.rv)
			if err != nil {
				err = fmt.Errorf("review workbook of %s: %w", j.rv.PrefName, err)
			} else if err = exporters.WriteFeedback(&feedback, j.fb); err != nil {
				err = fmt.Errorf("feedback workbook of %s: %w", j.fb.PrefName, err)
			}
			<-sem
			if err != nil {
				errs[k] = err
				return
			}
			name := filepath.Join(dir, "review", exporters.ReviewFileName(fy, j.rv.PrefCode, j.rv.PrefName))
			if err := atomicfile.WriteFile(name, review.Bytes()); err != nil {
				errs[k] = err
				return
			}
			files[2*k] = name
			name = filepath.Join(dir, "feedback", exporters.FeedbackFileName(fy, j.fb.PrefCode, j.fb.PrefName))
			if err := atomicfile.WriteFile(name, feedback.Bytes()); err != nil {
				errs[k] = err
				return
			}
			files[2*k+1] = name
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return files, nil
}

// inPrefecture returns the run of rows (ordered by prefecture) of prefecture pc.
func inPrefecture[T any](rows []T, pref func(T) string, pc string) []T {
	i := sort.Search(len(rows), func(i int) bool { return pref(rows[i]) >= pc })
	j := i
	for j < len(rows) && pref(rows[j]) == pc {
		j++
	}
	return rows[i:j]
}

// itemLabels names every item of rb as officials read it (目標・指標・設問), and each goal's label.
func itemLabels(rb *indicators.Rulebook) (map[string]exporters.ItemLabel, map[string]string) {
	labels := map[string]exporters.ItemLabel{}
	goalLabel := map[string]string{}
	for _, g := range rb.Goals {
		goalLabel[g.ID] = g.Label
	}
	for _, ind := range rb.Indicators {
		for _, it := range ind.Items {
			labels[it.ID] = exporters.ItemLabel{Goal: goalLabel[ind.Goal], Indicator: ind.No + " " + ind.Name, No: ind.No, Branch: it.Branch, Question: it.Question, Points: it.Points}
		}
	}
	return labels, goalLabel
}

// feedbackInputs is what a municipality's feedback sheet is made of beside its review row: the
// goal rates of the score run, and the pools' sums and amounts of the allocation run.
type feedbackInputs struct {
	rb      *indicators.Rulebook
	goalsOf map[string][]store.GoalRate
	poolSum map[string]float64
	poolYen map[string]int64
	diag    *diagnosisRows // the 地域診断 rows (nil: no 地域診断 block)
}

// municipality is the feedback sheet of one municipality's review row.
func (in *feedbackInputs) municipality(row store.ReviewLine) exporters.FeedbackMunicipality {
	fm := exporters.FeedbackMunicipality{Code: row.Code, Name: row.Name, Total: row.Total, Max: row.Max, Rate: row.Rate, Rank: row.NationalRank, Of: row.Of, YenTotal: row.YenTotal}
	fm.Band, fm.Goals = goalLines(in.rb, in.goalsOf[row.Code])
	if d := in.diag; d != nil {
		var yen *store.YenPerPerson
		if y, ok := d.yen[row.Code]; ok {
			yen = &y
		}
		fm.Diagnosis = diagnosisOf(in.rb, fm.Band, d.peers[row.Code], d.outcomes[row.Code], yen, diagnosisSheetItems)
	}
	for _, g := range in.rb.Grants {
		// One more point in this grant: pool × ((s+1)w/(Σ+w) − s·w/Σ), others unchanged.
		s, w, sum := row.Grants[g.ID], float64(row.Age65Plus), in.poolSum[g.ID]
		if sum > 0 {
			pool := float64(in.poolYen[g.ID])
			worth := pool * ((s+1)*w/(sum+w) - s*w/sum)
			fm.Worth = append(fm.Worth, exporters.PointWorth{Grant: g.Short, Yen: int64(math.Round(worth))})
		}
	}
	return fm
}
