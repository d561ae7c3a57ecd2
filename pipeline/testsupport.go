package pipeline

// Test support. The method in this file exists for the tests of this package and of web, which run
// their cycles on a one-prefecture nation; the program itself never calls it (as store's
// testsupport.go).

// ReviewsOnlyOfForTest makes r's exports (and those of its rehearsals and console cycles) write
// the review and feedback workbooks of these prefectures only (two-digit codes), beside the whole
// nation's ministry workbook and tables. Tests on a one-prefecture nation read no other
// prefecture's workbooks, and writing the 46 others was most of each of their exports' time. An
// export for officials always writes all 47 + 47 (cmd/kofukin's TestDemoOnePrefecture reruns one
// and checks every file but the changed ones byte for byte). Test support only.
func (r *Runner) ReviewsOnlyOfForTest(prefs ...string) {
	r.reviewsOf = map[string]bool{}
	for _, p := range prefs {
		r.reviewsOf[p] = true
	}
}
