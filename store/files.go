package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SaveFile keeps the bytes of an accepted submission version as its sender sent them.
func (su *Submissions) SaveFile(ctx context.Context, submissionID int64, name string, data []byte) error {
	if _, err := su.s.db.ExecContext(ctx, `INSERT INTO submission_files VALUES (?, ?, ?)`, submissionID, name, data); err != nil {
		return fmt.Errorf("keep the file of submission %d: %w", submissionID, err)
	}
	return nil
}

// File returns the file of a submission version as it was sent (ErrNotFound when it was not kept:
// versions accepted before the files were kept, or through the command line).
func (su *Submissions) File(ctx context.Context, submissionID int64) (string, []byte, error) {
	var name string
	var data []byte
	err := su.s.db.QueryRowContext(ctx, `SELECT file_name, data FROM submission_files WHERE submission_id = ? LIMIT 1`, submissionID).Scan(&name, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("file of submission %d: %w", submissionID, ErrNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("file of submission %d: %w", submissionID, err)
	}
	return name, data, nil
}

// KeptFiles returns which of the given submission versions have their file kept.
func (su *Submissions) KeptFiles(ctx context.Context, fy int, code string) (map[int64]bool, error) {
	rows, err := su.s.db.QueryContext(ctx, `SELECT f.submission_id FROM submission_files f JOIN submissions s ON s.id = f.submission_id
		WHERE s.fiscal_year = ? AND s.entity_code = ? ORDER BY 1`, fy, code)
	if err != nil {
		return nil, fmt.Errorf("kept files of %s: %w", code, err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
