package loaders

import (
	"strings"

	"github.com/kofukin/kofukin/indicators"
)

// noAnswer is the problem of a survey that answers nothing (E025): every answer it holds is blank,
// whether blanks are allowed (a blank template) or required answers are blank (then with their
// E017s). It says nothing when anything was typed (an answer, or a value it could not read) or when
// the file has other errors: those speak for it. sheet is the answer sheet ("" for a CSV).
func noAnswer(sheet string, rb *indicators.Rulebook, answers []Answer, problems []Problem) []Problem {
	if len(rb.SelfItems()) == 0 {
		return nil
	}
	for _, a := range answers {
		if !a.Blank {
			return nil
		}
	}
	for _, p := range problems {
		if !strings.HasPrefix(p.Code, "W") && p.Code != ErrAnswerRequired {
			return nil
		}
	}
	return []Problem{{Code: ErrNoAnswer, Sheet: sheet, Expected: "1件以上の回答", Found: "0件",
		MessageJA: "回答が1件もありません（回答欄がすべて空欄です）。回答を記入してから提出してください。",
		MessageEN: "the survey holds no answer: every answer cell is blank; fill in the answers before submitting"}}
}
