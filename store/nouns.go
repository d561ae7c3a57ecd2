package store

// The store's nouns. Each is a view of the one *Store (its connection pool, clock, logger and
// submission lock) holding the methods of one kind of data, so that a caller reads
// st.Runs().Latest(ctx, kind, fy) and a user that needs only a few of them can declare a small
// interface over one noun.

// Reference is the reference data of a fiscal year: entities and their validity, populations,
// unions (広域連合), needs, and the files they were read from.
type Reference struct{ s *Store }

// Submissions are the survey submissions: their versions and answers (written through a
// SubmissionWriter), the prefectures' review verdicts on them, and the uploads received by the web.
type Submissions struct{ s *Store }

// Runs are the records of every run (ingest, score, allocate, export, nightly …): what went into
// each, how it ended, and what a rerun needs to recompute it.
type Runs struct{ s *Store }

// Scores are the rulebooks registered, the scoring of a run (item → indicator → goal → grant →
// total, ranks) and the read models over a score run.
type Scores struct{ s *Store }

// Allocations are the scores an allocation reads and the amounts it stores.
type Allocations struct{ s *Store }

// Access is who may use the service: tokens, sessions, the audit log, and the settings.
type Access struct{ s *Store }

// Analyst writes a run's tables for analysts as Parquet and Arrow files.
type Analyst struct{ s *Store }

// Reference returns the store's reference data.
func (s *Store) Reference() *Reference { return &Reference{s} }

// Submissions returns the store's submissions.
func (s *Store) Submissions() *Submissions { return &Submissions{s} }

// Runs returns the store's run records.
func (s *Store) Runs() *Runs { return &Runs{s} }

// Scores returns the store's rulebooks, scoring and score read models.
func (s *Store) Scores() *Scores { return &Scores{s} }

// Allocations returns the store's allocation inputs and amounts.
func (s *Store) Allocations() *Allocations { return &Allocations{s} }

// Access returns the store's tokens, sessions, audit log and settings.
func (s *Store) Access() *Access { return &Access{s} }

// Analyst returns the store's Parquet and Arrow writers.
func (s *Store) Analyst() *Analyst { return &Analyst{s} }
