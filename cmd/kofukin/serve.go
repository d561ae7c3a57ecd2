package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/internal/atomicfile"
	"github.com/kofukin/kofukin/pipeline"
	"github.com/kofukin/kofukin/web"
)

// cmdServe runs the web service and the scheduler in one process that owns the database; on
// SIGTERM it stops the scheduler (waiting for a running job), drains HTTP, then closes the store.
func cmdServe(ctx context.Context, a *app, args []string) error {
	fs := a.flags("serve")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	listen := fs.String("listen", a.cfg.Listen, "HTTP address (KOFUKIN_LISTEN)")
	noSchedule := fs.Bool("no-schedule", false, "do not run the scheduled jobs in this process")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, closeStore, err := a.runner(ctx, *db)
	if err != nil {
		return err
	}
	defer closeStore()
	defer r.StopJobs() // the console's background cycles end before the store closes
	if err := r.EnsureReference(ctx, a.cfg.FiscalYear); err != nil {
		return err
	}
	r.Trials = true // the 試算 of each accepted upload, in the background
	srv := &web.Server{Runner: r, FiscalYear: a.cfg.FiscalYear, Out: a.cfg.Out, MaxUpload: int64(a.cfg.MaxUploadMB) << 20,
		SessionTTL: time.Duration(a.cfg.SessionHours) * time.Hour, SecureCookies: a.cfg.SecureCookies, Logger: a.logger}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *listen, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, WriteTimeout: 10 * time.Minute, IdleTimeout: 2 * time.Minute}
	var sched *pipeline.Scheduler
	if !*noSchedule {
		sched = a.scheduler(r)
		if err := sched.Start(ctx); err != nil {
			return err
		}
	}
	a.logger.Info("serving", "addr", ln.Addr().String(), "fiscal_year", a.cfg.FiscalYear, "db", *db)
	fmt.Fprintf(a.stdout, "kofukin serve: listening on http://%s (FY%d)\n", ln.Addr(), a.cfg.FiscalYear)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		if sched != nil {
			sched.Stop()
		}
		return err
	case <-ctx.Done():
	}
	a.logger.Info("shutting down")
	if sched != nil {
		sched.Stop()
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return r.WaitTrials(sctx) // a 試算 under way finishes before the store closes
}

func (a *app) scheduler(r *pipeline.Runner) *pipeline.Scheduler {
	return &pipeline.Scheduler{Runner: r, FiscalYear: a.cfg.FiscalYear, Inbox: a.cfg.Inbox, Quarantine: a.cfg.Quarantine, Out: a.cfg.Out,
		Inboxspec: a.cfg.ScheduleInbox, Nightly: a.cfg.ScheduleNightly, Logger: a.logger}
}

// cmdSchedule runs the scheduler alone, where no web service is wanted.
func cmdSchedule(ctx context.Context, a *app, args []string) error {
	fs := a.flags("schedule")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, closeStore, err := a.runner(ctx, *db)
	if err != nil {
		return err
	}
	defer closeStore()
	sched := a.scheduler(r)
	if err := sched.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "kofukin schedule: inbox %q at %q, nightly at %q (Asia/Tokyo); stop with Ctrl-C\n", a.cfg.Inbox, a.cfg.ScheduleInbox, a.cfg.ScheduleNightly)
	<-ctx.Done()
	sched.Stop()
	return nil
}

// cmdToken issues, lists or revokes access tokens, as the operator of the machine (with the
// ministry's rights; every action is in the audit log).
func cmdToken(ctx context.Context, a *app, args []string) error {
	return dispatch(a, "token", args, map[string]func([]string) error{
		"issue":  func(args []string) error { return tokenIssue(ctx, a, args) },
		"list":   func(args []string) error { return tokenList(ctx, a, args) },
		"revoke": func(args []string) error { return tokenRevoke(ctx, a, args) },
	})
}

// tokenIssue issues one token; it may create the database (the first ministry token is issued
// before the service first starts).
func tokenIssue(ctx context.Context, a *app, args []string) error {
	fs := a.flags("token issue")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	role := fs.String("role", "", "municipality | centre | prefecture | ministry")
	entity := fs.String("entity", "", "団体コード the token acts for: a municipal code for municipality, a centre code for centre, a prefectural code for prefecture; none for ministry")
	label := fs.String("label", "", "who holds it, for the audit log")
	expires := fs.String("expires", "", "last day the token works (YYYY-MM-DD, Asia/Tokyo; default: a year from now)")
	bulk := fs.Bool("bulk", false, "一括発行: a token for every municipality of --prefecture (or --all), written to --out as CSV")
	pref := fs.String("prefecture", "", "with --bulk: the prefecture (31 or 310000)")
	all := fs.Bool("all", false, "with --bulk: every municipality of the nation")
	centres := fs.Bool("centres", false, "with --bulk: also every care centre")
	prefs := fs.Bool("prefectures", false, "with --bulk: also the prefecture itself (every prefecture with --all)")
	out := fs.String("out", "", "with --bulk: the CSV file to write (UTF-8 with BOM; never overwritten)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("token issue: 余分な引数 %q / unexpected argument %q", fs.Arg(0), fs.Arg(0))}
	}
	spec := kofukin.TokenSpec{Role: kofukin.Role(*role), Entity: *entity, Label: *label}
	if *expires != "" {
		t, err := time.ParseInLocation("2006-01-02", *expires, jst)
		if err != nil {
			return &exitError{code: 2, msg: "token issue: --expires must be a date such as 2027-03-31"}
		}
		spec.Expires = t.Add(24*time.Hour - time.Second)
	}
	if *bulk {
		return tokenBulk(ctx, a, *db, pipeline.BulkTokens{Prefecture: *pref, Centres: *centres, Prefectures: *prefs, Expires: spec.Expires, Label: *label}, *all, *role != "" || *entity != "", *out)
	}
	if *pref != "" || *all || *centres || *prefs || *out != "" {
		return &exitError{code: 2, msg: "token issue: --prefecture, --all, --centres, --prefectures と --out は --bulk と使います / go with --bulk"}
	}
	r, closeStore, err := a.runner(ctx, *db)
	if err != nil {
		return err
	}
	defer closeStore()
	tok, t, err := r.IssueToken(ctx, kofukin.Operator("cli"), a.cfg.FiscalYear, spec)
	if err != nil {
		return &exitError{code: 1, msg: "token issue: " + err.Error()}
	}
	fmt.Fprintf(a.stdout, "issued token %s for %s %s, valid until %s — shown once, only its hash is stored:\n%s\n",
		t.ID, t.Role, t.EntityCode, t.ExpiresAt.In(jst).Format("2006-01-02 15:04 MST"), tok)
	return nil
}

// tokenBulk issues a token for every municipality of a prefecture or of the nation and writes them
// to a new CSV file (an existing file is never overwritten: it may hold tokens already handed out).
func tokenBulk(ctx context.Context, a *app, db string, b pipeline.BulkTokens, all, single bool, out string) error {
	switch {
	case single:
		return &exitError{code: 2, msg: "token issue --bulk: --role と --entity は使いません（役割は団体の区分から決まります） / --bulk takes no --role or --entity"}
	case all == (b.Prefecture != ""):
		return &exitError{code: 2, msg: "token issue --bulk: --prefecture 31 か --all のどちらかを指定してください / give --prefecture or --all"}
	case out == "":
		return &exitError{code: 2, msg: "token issue --bulk: --out tokens.csv を指定してください / give --out"}
	}
	if _, err := os.Stat(out); err == nil {
		return &exitError{code: 1, msg: fmt.Sprintf("token issue --bulk: %s は既にあります。上書きしません（別の名前を指定してください） / %s exists; not overwritten", out, out)}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("token issue --bulk: %w", err)
	}
	r, closeStore, err := a.existing(ctx, "token issue", db)
	if err != nil {
		return err
	}
	defer closeStore()
	data, n, err := r.IssueTokens(ctx, kofukin.Operator("cli"), a.cfg.FiscalYear, b)
	if err != nil {
		return &exitError{code: 1, msg: "token issue --bulk: " + err.Error()}
	}
	err = atomicfile.WriteFile(out, data)
	if err == nil {
		err = os.Chmod(out, 0o600) // the tokens are secrets: for the operator only
	}
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("token issue --bulk: %d 件を発行しましたが %s に書けません。kofukin token list で確かめ、失効させてから発行し直してください / issued %d tokens but cannot write them: %v", n, out, n, err)}
	}
	fmt.Fprintf(a.stdout, "%d 件のトークンを発行し %s に書きました（この表にしかありません。安全に渡してください） / issued %d tokens into %s — shown nowhere else\n", n, out, n, out)
	return nil
}

// tokenList prints every token issued — never the token itself.
func tokenList(ctx context.Context, a *app, args []string) error {
	fs := a.flags("token list")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, closeStore, err := a.existing(ctx, "token list", *db)
	if err != nil {
		return err
	}
	defer closeStore()
	list, err := r.Tokens(ctx, kofukin.Operator("cli"))
	if err != nil {
		return err
	}
	now := time.Now()
	fmt.Fprintln(a.stdout, "id\trole\tentity\tlabel\tissued\texpires\tstate")
	for _, t := range list {
		state := "有効 active"
		switch {
		case t.RevokedAt != nil:
			state = "失効 revoked " + t.RevokedAt.In(jst).Format("2006-01-02")
		case !t.ExpiresAt.After(now):
			state = "期限切れ expired"
		case !t.Active(now):
			state = "無効（区分と団体コードが不整合）invalid: role and entity do not match"
		}
		fmt.Fprintf(a.stdout, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, t.EntityCode, t.Label,
			t.CreatedAt.In(jst).Format("2006-01-02"), t.ExpiresAt.In(jst).Format("2006-01-02"), state)
	}
	fmt.Fprintf(a.stdout, "%d件 token(s)\n", len(list))
	return nil
}

// tokenRevoke revokes a token given by its value or id.
func tokenRevoke(ctx context.Context, a *app, args []string) error {
	fs := a.flags("token revoke")
	db := fs.String("db", a.cfg.DB, "DuckDB file (KOFUKIN_DB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &exitError{code: 2, msg: "token revoke: トークンかその id を1つ指定してください / give the token or its id"}
	}
	r, closeStore, err := a.existing(ctx, "token revoke", *db)
	if err != nil {
		return err
	}
	defer closeStore()
	if err := r.RevokeToken(ctx, kofukin.Operator("cli"), fs.Arg(0)); err != nil {
		return &exitError{code: 1, msg: "token revoke: " + err.Error()}
	}
	fmt.Fprintln(a.stdout, "失効しました。そのセッションも終了しました / revoked; its sessions are ended")
	return nil
}

var jst = time.FixedZone("JST", 9*3600)
