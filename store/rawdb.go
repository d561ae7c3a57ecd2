package store

import "database/sql"

// DB returns the connection pool. Temporary: the tests outside store that still read tables
// directly move to store methods in the next commit, and this goes.
func (s *Store) DB() *sql.DB { return s.db }
