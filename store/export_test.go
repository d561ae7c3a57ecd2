package store

import "database/sql"

// DB hands the store's own external tests (package store_test) the connection pool, to read the
// tables they check directly. It is compiled only into this package's tests: no other package
// reaches the pool.
func DB(s *Store) *sql.DB { return s.pool }

// SliceEvery makes s's score runs score a level of more than n peers in slices of n (n > 0), as a
// score run of several Japans does with thousands (itemRowsPerSlice).
func SliceEvery(s *Store, n int) { s.entitiesPerSlice = n }

// Reader hands the store's external tests what s reads through: the pool, or inside a rehearsal
// its connection, in the rehearsal's transaction (Rehearse's view has no pool of its own).
func Reader(s *Store) querier { return s.db }
