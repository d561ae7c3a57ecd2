// Package config reads kofukin's configuration from the environment (prefix KOFUKIN_) once, with
// caarlos0/env, and validates it with errors that name the variable.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"

	"github.com/caarlos0/env/v11"
	"github.com/robfig/cron/v3"
)

// Prefix of every variable.
const Prefix = "KOFUKIN_"

// Config is kofukin's configuration. Every field is documented in README.md's table.
type Config struct {
	// DB is the DuckDB file (empty: in memory).
	DB string `env:"DB" envDefault:"kofukin.duckdb"`
	// RulebookDir, when set, replaces the shipped rulebooks with an analyst's folder of *.json.
	RulebookDir string `env:"RULEBOOK_DIR"`
	// Out is the folder exports are written to.
	Out string `env:"OUT" envDefault:"out"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`
	// Workers is how many files are parsed at once (0: one per CPU).
	Workers int `env:"WORKERS" envDefault:"0"`
	// Quarantine is the folder rejected files are moved to by ingest (empty: leave them).
	Quarantine string `env:"QUARANTINE" envDefault:"quarantine"`

	// FiscalYear is the year the service takes submissions for.
	FiscalYear int `env:"FY" envDefault:"2026"`
	// Listen is the HTTP address of kofukin serve.
	Listen string `env:"LISTEN" envDefault:":8080"`
	// Inbox is a folder the scheduler ingests files dropped into (empty: no inbox job).
	Inbox string `env:"INBOX"`
	// ScheduleInbox is when the inbox is read (cron, Asia/Tokyo; empty: never).
	ScheduleInbox string `env:"SCHEDULE_INBOX" envDefault:"*/10 * * * *"`
	// ScheduleNightly is when the nightly dry-run re-score and export runs (empty: never).
	ScheduleNightly string `env:"SCHEDULE_NIGHTLY" envDefault:"0 2 * * *"`
	// MaxUploadMB bounds an uploaded file.
	MaxUploadMB int `env:"MAX_UPLOAD_MB" envDefault:"16"`
	// SessionHours is how long a sign-in lasts.
	SessionHours int `env:"SESSION_HOURS" envDefault:"8"`
	// SecureCookies marks cookies Secure (behind TLS); requests that arrive as https set it anyway.
	SecureCookies bool `env:"SECURE_COOKIES" envDefault:"false"`
	// MemoryMB is how much memory DuckDB may hold before it spills to disk, in MiB (0: DuckDB's
	// default, 80 % of the machine's memory).
	MemoryMB int `env:"MEMORY_MB" envDefault:"0"`
}

// Load parses the configuration from environ (a map of variable → value, e.g. from Environ).
func Load(environ map[string]string) (Config, error) {
	var c Config
	err := env.ParseWithOptions(&c, env.Options{Prefix: Prefix, Environment: environ})
	if err != nil {
		return c, namedError(err, environ)
	}
	return c, c.Validate()
}

// namedError rewrites env's parse errors, which name the Go field, to name the variable and its
// value instead.
func namedError(err error, environ map[string]string) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return fmt.Errorf("configuration: %w", err)
	}
	vars := map[string]string{}
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag, ok := f.Tag.Lookup("env"); ok {
			vars[f.Name] = Prefix + strings.Split(tag, ",")[0]
		}
	}
	var errs []error
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			v := vars[pe.Name]
			errs = append(errs, fmt.Errorf("%s: %q is not a valid %s", v, environ[v], pe.Type))
			continue
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// Validate checks the values, naming the variable of each problem.
func (c Config) Validate() error {
	var errs []error
	if _, err := c.Level(); err != nil {
		errs = append(errs, err)
	}
	if c.Workers < 0 || c.Workers > 256 {
		errs = append(errs, fmt.Errorf("%sWORKERS: %d is not between 0 and 256", Prefix, c.Workers))
	}
	if c.FiscalYear < 2018 || c.FiscalYear > 2100 {
		errs = append(errs, fmt.Errorf("%sFY: %d is not a grant year", Prefix, c.FiscalYear))
	}
	if c.MaxUploadMB < 1 || c.MaxUploadMB > 256 {
		errs = append(errs, fmt.Errorf("%sMAX_UPLOAD_MB: %d is not between 1 and 256", Prefix, c.MaxUploadMB))
	}
	if c.MemoryMB != 0 && (c.MemoryMB < 256 || c.MemoryMB > 1<<20) {
		errs = append(errs, fmt.Errorf("%sMEMORY_MB: %d is neither 0 (DuckDB's default) nor between 256 and 1048576", Prefix, c.MemoryMB))
	}
	if c.SessionHours < 1 || c.SessionHours > 24*30 {
		errs = append(errs, fmt.Errorf("%sSESSION_HOURS: %d is not between 1 and 720", Prefix, c.SessionHours))
	}
	for _, v := range [][2]string{{"SCHEDULE_INBOX", c.ScheduleInbox}, {"SCHEDULE_NIGHTLY", c.ScheduleNightly}} {
		name, spec := v[0], v[1]
		if spec == "" {
			continue
		}
		if _, err := cron.ParseStandard(spec); err != nil {
			errs = append(errs, fmt.Errorf("%s%s: %q is not a cron schedule: %v", Prefix, name, spec, err))
		}
	}
	if c.RulebookDir != "" {
		if st, err := os.Stat(c.RulebookDir); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("%sRULEBOOK_DIR: %q is not a folder", Prefix, c.RulebookDir))
		}
	}
	return errors.Join(errs...)
}

// Level returns the slog level of LogLevel.
func (c Config) Level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(c.LogLevel))); err != nil {
		return l, fmt.Errorf("%sLOG_LEVEL: %q is not debug, info, warn or error", Prefix, c.LogLevel)
	}
	return l, nil
}

// Environ turns os.Environ-style "K=V" strings into a map.
func Environ(kv []string) map[string]string {
	m := make(map[string]string, len(kv))
	for _, s := range kv {
		if k, v, ok := strings.Cut(s, "="); ok {
			m[k] = v
		}
	}
	return m
}
