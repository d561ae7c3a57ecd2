package pipeline

import (
	"testing"

	"github.com/kofukin/kofukin/store"
)

// A verdict is given on a version: 確認済 and 差戻し only on the current one; 未確認 on any.
func TestVersionRefusal(t *testing.T) {
	for _, c := range []struct {
		status         string
		given, current int
		want           string
	}{
		{"確認済", 2, 2, ""},
		{"差戻し", 2, 2, ""},
		{"未確認", 1, 3, ""},
		{"未確認", 0, 0, ""},
		{"確認済", 2, 3, "第3版が提出されたため、第2版への確認は登録できません。最新版を確認してください。"},
		{"差戻し", 1, 2, "第2版が提出されたため、第1版への差戻しは登録できません。最新版を確認してください。"},
		{"確認済", 0, 0, "調査票が未提出のため、確認済にはできません。"},
		{"差戻し", 0, 0, ""},
		{"確認済", 0, 2, "どの版への確認かが分かりません（最新は第2版）。画面を再読み込みして、最新版を確認してください。"},
		{"確認済", 4, 2, "第4版はありません（最新は第2版）。画面を再読み込みしてください。"},
	} {
		if got := VersionRefusal(c.status, c.given, c.current); got != c.want {
			t.Errorf("%s on version %d of %d: %q, want %q", c.status, c.given, c.current, got, c.want)
		}
	}
}

func TestVerdictNote(t *testing.T) {
	for _, c := range []struct {
		rv      store.Review
		current int
		want    string
	}{
		{store.Review{}, 1, "未確認"},
		{store.Review{Status: "未確認", Version: 1}, 2, "未確認"},
		{store.Review{Status: "確認済", Version: 2}, 2, "確認済（第2版）"},
		{store.Review{Status: "確認済", Version: 2}, 3, "確認済（第2版）— 確認後に再提出あり（第3版）"},
		{store.Review{Status: "差戻し", Version: 1}, 2, "差戻し（第1版）— 差戻し後に再提出あり（第2版）"},
		{store.Review{Status: "確認済"}, 3, "確認済"}, // recorded before versions were kept
	} {
		if got := VerdictNote(c.rv, c.current); got != c.want {
			t.Errorf("%+v with version %d current: %q, want %q", c.rv, c.current, got, c.want)
		}
	}
}

// The filters of 提出状況, counted by hand over five rows.
func TestPrefectureFilters(t *testing.T) {
	sub := func(v int) *store.Submission { return &store.Submission{Version: v} }
	v := &PrefectureView{Munis: []PrefectureRow{
		{E: store.EntityInfo{Code: "a"}},                                      // 未提出
		{E: store.EntityInfo{Code: "b"}, Sub: sub(1), Flags: []string{"外れ値"}}, // 未確認, 要確認
		{E: store.EntityInfo{Code: "c"}, Sub: sub(2), Review: store.Review{Status: "確認済", Version: 2}},
		{E: store.EntityInfo{Code: "d"}, Sub: sub(3), Review: store.Review{Status: "確認済", Version: 2}},               // resubmitted: 未確認
		{E: store.EntityInfo{Code: "e"}, Sub: sub(1), Review: store.Review{Status: "差戻し", Version: 1, Comment: "x"}}, // 差戻し
		{E: store.EntityInfo{Code: "f"}, Sub: sub(2), Review: store.Review{Status: "差戻し", Version: 1, Comment: "x"}}, // returned, then resubmitted: 未確認
	}}
	want := map[string]string{"": "abcdef", "missing": "a", "unreviewed": "bdf", "returned": "e", "flagged": "b"}
	for _, f := range v.Filters() {
		got := ""
		for _, rw := range v.Filtered(f.Key) {
			got += rw.E.Code
		}
		if got != want[f.Key] || f.Count != len(want[f.Key]) {
			t.Errorf("filter %s (%s): %q counted %d, want %q", f.Key, f.Label, got, f.Count, want[f.Key])
		}
	}
}
