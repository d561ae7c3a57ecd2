package pipeline

import (
	"context"
	"fmt"

	"github.com/kofukin/kofukin"
)

// WrongEntityError refuses a survey of another entity than the one it was sent for (the page it was
// sent from, or the sender's own): it says whose survey the file is and whose to send. Nothing of
// the file is stored, and its refusal is recorded under the sender's own entity.
type WrongEntityError struct {
	FileEntity string // the entity the file is for
	Want       string // the entity it should have been for ("" : any the sender may submit for)
	MessageJA  string
	MessageEN  string
	// Err is the policy's refusal when the sender may not submit for the file's entity at all (nil
	// when it may, but sent it from another entity's page).
	Err error
}

func (e *WrongEntityError) Error() string { return e.MessageEN }

func (e *WrongEntityError) Unwrap() error { return e.Err }

// wrongEntity words the refusal of a survey of entity file sent by by for entity want ("" when it
// was not sent from a page). The names come from the year's reference list (public codes); a code
// that is no entity of the year is shown as its code alone.
func (r *Runner) wrongEntity(ctx context.Context, by kofukin.Principal, fy int, file, want string, cause error) *WrongEntityError {
	name := func(code string) string {
		if e, err := r.FindEntity(ctx, fy, code); err == nil {
			return fmt.Sprintf("%s（%s）", e.NameJA, code)
		}
		return "団体コード " + code
	}
	e := &WrongEntityError{FileEntity: file, Want: want, Err: cause}
	var whose string
	switch {
	case want != "":
		whose = name(want) + "の調査票"
	case kofukin.Allowed(by, kofukin.ActPrefecture, by.EntityCode):
		whose = name(by.EntityCode) + "又はその管内の市町村・地域包括支援センターの調査票"
	case by.EntityCode != "":
		want, whose = by.EntityCode, name(by.EntityCode)+"の調査票"
	default:
		whose = "提出できる団体の調査票"
	}
	e.Want = want
	e.MessageJA = fmt.Sprintf("このファイルは %sの調査票です。%sをアップロードしてください。", name(file), whose)
	e.MessageEN = fmt.Sprintf("this file is the survey of %s", file)
	if want != "" {
		e.MessageEN += "; upload the survey of " + want
	} else {
		e.MessageEN += ", which you may not submit"
	}
	return e
}
