package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/exporters"
	"github.com/kofukin/kofukin/internal/atomicfile"
	"github.com/kofukin/kofukin/loaders"
	"github.com/kofukin/kofukin/store"
)

// quarantine moves a rejected file into dir with its report (text and JSON) and, for a readable
// workbook, an annotated copy with each bad cell marked. It returns where the file and the
// annotated copy went ("" when none could be made) and, then, why not.
func (r *Runner) quarantine(dir string, fr FileReport) (dst, annotated, why string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", "", err
	}
	base := filepath.Base(fr.Path)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	dst = filepath.Join(dir, base)
	if _, err := os.Stat(dst); err == nil {
		// Another file of that name is already held: keep both.
		tag := fr.SHA256
		if len(tag) < 8 {
			if tag, err = fileSHA256(fr.Path); err != nil {
				return "", "", "", err
			}
		}
		stem = stem + "_" + tag[:8]
		dst = filepath.Join(dir, stem+ext)
	}
	var text bytes.Buffer
	errs, warns := kofukin.SplitProblems(fr.Problems)
	fmt.Fprintf(&text, "受付できなかったファイル / rejected file: %s\n修正が必要なエラー %d 件 / %d error(s)\n\n", base, len(errs), len(errs))
	for _, p := range errs {
		fmt.Fprintln(&text, p.String())
	}
	if len(warns) > 0 {
		fmt.Fprintf(&text, "\n注意 %d 件（受付には影響しません） / %d warning(s)\n\n", len(warns), len(warns))
		for _, p := range warns {
			fmt.Fprintln(&text, p.String())
		}
	}
	js, err := json.MarshalIndent(fr, "", "  ")
	if err != nil {
		return "", "", "", fmt.Errorf("report of %s: %w", base, err)
	}
	outputs := map[string][]byte{
		filepath.Join(dir, stem+ext+".report.txt"):  text.Bytes(),
		filepath.Join(dir, stem+ext+".report.json"): append(js, '\n'),
	}
	// Only a workbook the reader could take in (not too large to read) is opened again to mark it;
	// Annotate bounds the rest and says why it would not.
	if strings.EqualFold(ext, ".xlsx") {
		var ann []byte
		ann, why, err = r.annotate(fr)
		if err != nil {
			return "", "", "", err
		}
		if ann != nil {
			annotated = filepath.Join(dir, stem+"_エラー箇所.xlsx")
			outputs[annotated] = ann
		}
	}
	names := make([]string, 0, len(outputs))
	for n := range outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := atomicfile.WriteFile(n, outputs[n]); err != nil {
			return "", "", "", err
		}
	}
	if err := moveFile(fr.Path, dst); err != nil {
		return "", "", "", err
	}
	return dst, annotated, why, nil
}

// annotate makes the annotated copy of a rejected workbook on disk, or says (in Japanese) why
// there is none: too large to read, or beyond what Annotate takes (exporters.NotAnnotatedError).
// The error is for failing to read the file.
func (r *Runner) annotate(fr FileReport) ([]byte, string, error) {
	if fr.Bytes <= 0 || fr.Bytes > loaders.MaxFileSize {
		return nil, "エラー箇所付きの写しは作成しませんでした（ファイルが大きすぎるため）", nil
	}
	original, err := ReadFileLimit(fr.Path, loaders.MaxFileSize) // it may have changed since it was read
	var big *TooLargeError
	if errors.As(err, &big) {
		return nil, "エラー箇所付きの写しは作成しませんでした（ファイルが大きすぎるため）", nil
	}
	if err != nil {
		return nil, "", err
	}
	return r.AnnotateData(original, fr.Problems)
}

// AnnotateData makes the annotated copy of a rejected workbook held in memory, or says (in
// Japanese) why there is none. A panic in the workbook library on a hostile file is recovered
// (logged by the caller's report as the reason): no input stops the process.
func (r *Runner) AnnotateData(original []byte, problems []loaders.Problem) (ann []byte, why string, err error) {
	defer func() {
		if v := recover(); v != nil {
			r.logger().Error("panic while annotating a rejected workbook", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			ann, why, err = nil, "エラー箇所付きの写しは作成しませんでした（ファイルを処理できませんでした）", nil
		}
	}()
	var buf bytes.Buffer
	err = exporters.Annotate(&buf, original, problems)
	var na *exporters.NotAnnotatedError
	switch {
	case err == nil:
		return buf.Bytes(), "", nil
	case errors.As(err, &na):
		return nil, na.MessageJA(), nil
	}
	return nil, "", err
}

// moveFile renames src to dst, copying (atomically) across file systems.
func moveFile(src, dst string) error {
	if err := os.Rename(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := atomicfile.Write(dst, func(out *os.File) error {
		_, err := io.Copy(out, in)
		return err
	}); err != nil {
		return err
	}
	return os.Remove(src)
}

// fileSHA256 hashes a file without holding it in memory.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// DryRun validates the files and previews their points without writing anything: it ingests and
// scores in a rehearsal (store.Rehearse: one transaction rolled back, so ranks are among everyone's
// current answers and nothing stays).
func (r *Runner) DryRun(ctx context.Context, paths []string, opts IngestOptions) (*IngestReport, error) {
	var rep *IngestReport
	err := r.Store.Rehearse(ctx, func(sc *store.Store) error {
		var err error
		rep, err = r.dryRun(ctx, sc, paths, opts)
		return err
	})
	return rep, err
}

// dryRun is DryRun inside the rehearsal sc.
func (r *Runner) dryRun(ctx context.Context, sc *store.Store, paths []string, opts IngestOptions) (*IngestReport, error) {
	tmp := r.rehearsing(sc)
	opts.Quarantine = ""
	rep, err := tmp.Ingest(ctx, paths, opts)
	if err != nil {
		return rep, err
	}
	rep.DryRun = true
	codes := map[int][]string{}
	for _, f := range rep.Files {
		if f.Status == kofukin.StatusAccepted && f.Kind == KindSurvey {
			codes[f.FiscalYear] = append(codes[f.FiscalYear], f.EntityCode)
		}
	}
	for fy, list := range codes {
		res, err := tmp.Score(ctx, fy)
		if err != nil {
			return rep, fmt.Errorf("dry-run score FY%d: %w", fy, err)
		}
		prev, err := sc.Scores().Previews(ctx, res.RunID, list)
		if err != nil {
			return rep, err
		}
		for i := range rep.Files {
			if p, ok := prev[rep.Files[i].EntityCode]; ok && rep.Files[i].FiscalYear == fy && rep.Files[i].Kind == KindSurvey {
				p := p
				rep.Files[i].Preview = &p
			}
		}
	}
	return rep, nil
}
