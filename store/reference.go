package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/kofukin/kofukin"
	"github.com/kofukin/kofukin/loaders"
)

// ReferenceFile names a reference file and its content hash.
type ReferenceFile struct {
	Name   string
	SHA256 string
}

// FirstGrantYear is the first fiscal year of the grants (推進 since FY2018); the shipped entity list
// is asserted valid from then (the municipal map has not changed since).
const FirstGrantYear = 2018

// HasPopulation reports whether population figures of the level's entities exist for fy.
func (rf *Reference) HasPopulation(ctx context.Context, fy int, level kofukin.Level) (bool, error) {
	var n int
	err := rf.s.db.QueryRowContext(ctx, `SELECT count(*) FROM populations p JOIN entities e ON e.code = p.code WHERE p.fiscal_year = ? AND e.level = ?`,
		fy, string(level)).Scan(&n)
	return n > 0, err
}

// Load records the entities of ref that are not yet known, valid from validFrom, and
// their population for fiscal year fy (unless fy already has population figures), in one
// transaction. It returns how many entities and population rows were added.
func (rf *Reference) Load(ctx context.Context, fy, validFrom int, file ReferenceFile, ref *loaders.Reference, source string) (entities, pops int, err error) {
	err = rf.s.withTx(ctx, func(c *txConn) error {
		known, err := c.knownCodes()
		if err != nil {
			return err
		}
		var ents [][]driver.Value
		for _, e := range ref.Entities {
			if known[e.Code] {
				continue
			}
			var parent driver.Value
			if e.ParentCode != "" {
				parent = e.ParentCode
			}
			ents = append(ents, []driver.Value{e.Code, e.Level, e.PrefectureCode, parent, e.NameJA, e.NameKana, e.NameEN, e.TypeJA, int32(validFrom), nil, file.Name})
		}
		if err := c.appendRows("entities", ents); err != nil {
			return err
		}
		var have int
		if err := c.queryRow(`SELECT count(*) FROM populations p JOIN entities e ON e.code = p.code WHERE p.fiscal_year = ? AND e.level = ?`,
			fy, levelOf(ref)).Scan(&have); err != nil {
			return err
		}
		var ps [][]driver.Value
		if have == 0 {
			for _, p := range ref.Populations {
				ps = append(ps, []driver.Value{p.Code, int32(fy), p.Total, p.Age40to64, p.Age65Plus, p.Age75Plus, p.ReferenceDate, source})
			}
		}
		if err := c.appendRows("populations", ps); err != nil {
			return err
		}
		if _, err := c.exec(`INSERT INTO reference_files VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			file.Name, file.SHA256, fy, rf.s.Now().UTC(), len(ref.Entities)); err != nil {
			return err
		}
		entities, pops = len(ents), len(ps)
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("load reference %s: %w", file.Name, err)
	}
	return entities, pops, nil
}

func levelOf(ref *loaders.Reference) string {
	if len(ref.Entities) == 0 {
		return ""
	}
	return ref.Entities[0].Level
}

// AddEntities records a list of entities of one level (care centres) from a reference file: the
// codes not yet known are added, valid from fiscal year fy. A file already loaded (same name and
// hash for fy) is reported unchanged and writes nothing.
func (rf *Reference) AddEntities(ctx context.Context, fy int, file ReferenceFile, ents []loaders.Entity) (added int, unchanged bool, err error) {
	err = rf.s.withTx(ctx, func(c *txConn) error {
		var n int
		if err := c.queryRow(`SELECT count(*) FROM reference_files WHERE name = ? AND fiscal_year = ? AND sha256 = ?`, file.Name, fy, file.SHA256).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			unchanged = true
			return nil
		}
		known, err := c.knownCodes()
		if err != nil {
			return err
		}
		var vals [][]driver.Value
		for _, e := range ents {
			if known[e.Code] {
				continue
			}
			vals = append(vals, []driver.Value{e.Code, e.Level, e.PrefectureCode, e.ParentCode, e.NameJA, e.NameKana, e.NameEN, e.TypeJA, int32(fy), nil, file.Name})
		}
		if err := c.appendRows("entities", vals); err != nil {
			return err
		}
		added = len(vals)
		_, err = c.exec(`INSERT OR REPLACE INTO reference_files VALUES (?, ?, ?, ?, ?)`, file.Name, file.SHA256, fy, rf.s.Now().UTC(), len(ents))
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("add entities from %s: %w", file.Name, err)
	}
	return added, unchanged, nil
}

// EntityInfo is what the pipeline needs to know of one entity for a fiscal year.
type EntityInfo struct {
	Code           string
	Level          string
	ParentCode     string
	PrefectureCode string
	PrefectureName string
	NameJA         string
	TypeJA         string
	Population     int64
	Age65Plus      int64
}

// Name is the entity's prefecture name and own name, e.g. 鳥取県鳥取市 (a prefecture's own name).
func (e EntityInfo) Name() string {
	if e.Level == string(kofukin.Prefecture) {
		return e.NameJA
	}
	return e.PrefectureName + e.NameJA
}

// Entities lists the entities of a level valid in fy, with their population for fy, ordered by
// code.
func (rf *Reference) Entities(ctx context.Context, fy int, level string) ([]EntityInfo, error) {
	rows, err := rf.s.db.QueryContext(ctx, entitiesValidSQL, fy, fy, fy, level, fy, fy)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []EntityInfo
	for rows.Next() {
		var e EntityInfo
		if err := rows.Scan(&e.Code, &e.Level, &e.ParentCode, &e.PrefectureCode, &e.PrefectureName, &e.NameJA, &e.TypeJA, &e.Population, &e.Age65Plus); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// UpdatePopulation records a population update in one transaction: each row sets the 第1号被保険者数
// (and total, when given) of an entity for a fiscal year; replaced figures move to
// population_history. A file already loaded (same name and hash) writes nothing.
func (rf *Reference) UpdatePopulation(ctx context.Context, fy int, file ReferenceFile, rows []loaders.PopulationRow) (changed int, unchanged bool, err error) {
	err = rf.s.withTx(ctx, func(c *txConn) error {
		if seen, err := c.fileSeen(file); err != nil || seen {
			unchanged = seen
			return err
		}
		now := rf.s.Now().UTC()
		for _, r := range rows {
			src := r.Source
			if src == "" {
				src = file.Name
			}
			if _, err := c.exec(populationHistorySQL, now, file.Name, r.Code, r.FiscalYear); err != nil {
				return err
			}
			var total any
			if r.Total > 0 {
				total = r.Total
			}
			if _, err := c.exec(populationUpsertSQL,
				r.Code, r.FiscalYear, total, r.Insured65, r.ReferenceDate, src); err != nil {
				return err
			}
			changed++
		}
		return c.recordFile(file, fy, len(rows), now)
	})
	if err != nil {
		return 0, false, fmt.Errorf("update population from %s: %w", file.Name, err)
	}
	return changed, unchanged, nil
}

// AddUnions records unions (entities of level union) and their members for the unions' fiscal
// year, in one transaction; the membership given replaces that recorded for the same year.
func (rf *Reference) AddUnions(ctx context.Context, fy int, file ReferenceFile, unions []loaders.Union) (unchanged bool, err error) {
	err = rf.s.withTx(ctx, func(c *txConn) error {
		if seen, err := c.fileSeen(file); err != nil || seen {
			unchanged = seen
			return err
		}
		for _, u := range unions {
			if _, err := c.exec(`INSERT INTO entities (code, level, prefecture_code, name_ja, type_ja, valid_from_fy, source)
				SELECT ?, 'union', ?, ?, '広域連合', ?, ? WHERE NOT EXISTS (SELECT 1 FROM entities WHERE code = ?)`,
				u.Code, u.Members[0][:2], u.Name, u.FiscalYear, file.Name, u.Code); err != nil {
				return err
			}
			if _, err := c.exec(`DELETE FROM union_members WHERE union_code = ? AND valid_from_fy = ?`, u.Code, u.FiscalYear); err != nil {
				return err
			}
			for _, m := range u.Members {
				if _, err := c.exec(`INSERT INTO union_members VALUES (?, ?, ?, ?)`, u.Code, m, u.FiscalYear, file.Name); err != nil {
					return err
				}
			}
		}
		return c.recordFile(file, fy, len(unions), rf.s.Now().UTC())
	})
	if err != nil {
		return false, fmt.Errorf("add unions from %s: %w", file.Name, err)
	}
	return unchanged, nil
}

func (c *txConn) fileSeen(file ReferenceFile) (bool, error) {
	var n int
	err := c.queryRow(`SELECT count(*) FROM reference_files WHERE name = ? AND sha256 = ?`, file.Name, file.SHA256).Scan(&n)
	return n > 0, err
}

func (c *txConn) recordFile(file ReferenceFile, fy, rows int, now time.Time) error {
	_, err := c.exec(`INSERT OR REPLACE INTO reference_files VALUES (?, ?, ?, ?, ?)`, file.Name, file.SHA256, fy, now, rows)
	return err
}

// SetNeeds records a 所要見込額 list in one transaction, replacing the figures of the same year,
// entity and grant. A file already loaded writes nothing.
func (rf *Reference) SetNeeds(ctx context.Context, fy int, file ReferenceFile, rows []loaders.NeedsRow) (unchanged bool, err error) {
	err = rf.s.withTx(ctx, func(c *txConn) error {
		if seen, err := c.fileSeen(file); err != nil || seen {
			unchanged = seen
			return err
		}
		for _, r := range rows {
			if _, err := c.exec(`INSERT OR REPLACE INTO needs VALUES (?, ?, ?, ?, ?)`, r.FiscalYear, r.Code, r.GrantID, r.NeedsYen, file.Name); err != nil {
				return err
			}
		}
		return c.recordFile(file, fy, len(rows), rf.s.Now().UTC())
	})
	if err != nil {
		return false, fmt.Errorf("set needs from %s: %w", file.Name, err)
	}
	return unchanged, nil
}

// knownCodes returns every entity code recorded, whatever its level and validity.
func (c *txConn) knownCodes() (map[string]bool, error) {
	rows, err := c.conn.QueryContext(c.ctx, `SELECT DISTINCT code FROM entities ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	known := map[string]bool{}
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			return nil, err
		}
		known[code] = true
	}
	return known, rows.Err()
}

// ApplyEntityList records an entity list in one transaction: a row whose code and first year are
// known updates that entity (name, last year); any other row adds an entity. A merger is two rows
// closing the old codes and one opening the new. A file already loaded writes nothing.
func (rf *Reference) ApplyEntityList(ctx context.Context, fy int, file ReferenceFile, rows []loaders.EntityChange) (added, updated int, unchanged bool, err error) {
	err = rf.s.withTx(ctx, func(c *txConn) error {
		if seen, err := c.fileSeen(file); err != nil || seen {
			unchanged = seen
			return err
		}
		for _, r := range rows {
			var to, parent any
			if r.ValidTo != nil {
				to = *r.ValidTo
			}
			if r.Parent != "" {
				parent = r.Parent
			}
			res, err := c.exec(`UPDATE entities SET name_ja = ?, valid_to_fy = ?, parent_code = coalesce(?, parent_code) WHERE code = ? AND valid_from_fy = ?`,
				r.Name, to, parent, r.Code, r.ValidFrom)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n > 0 {
				updated++
				continue
			}
			// A code listed from a later year closes its open row from earlier years.
			if _, err := c.exec(`UPDATE entities SET valid_to_fy = ? WHERE code = ? AND valid_from_fy < ? AND valid_to_fy IS NULL`, r.ValidFrom-1, r.Code, r.ValidFrom); err != nil {
				return err
			}
			if _, err := c.exec(`INSERT INTO entities (code, level, prefecture_code, parent_code, name_ja, valid_from_fy, valid_to_fy, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				r.Code, r.Level, r.PrefectureCode, parent, r.Name, r.ValidFrom, to, file.Name); err != nil {
				return err
			}
			added++
		}
		return c.recordFile(file, fy, len(rows), rf.s.Now().UTC())
	})
	if err != nil {
		return 0, 0, false, fmt.Errorf("apply entity list %s: %w", file.Name, err)
	}
	return added, updated, unchanged, nil
}

// Statements in store/queries (what each does and its args at the top of its file).
var (
	entitiesValidSQL     = query("entities_valid.sql")
	populationHistorySQL = query("population_history_insert.sql")
	populationUpsertSQL  = query("population_upsert.sql")
)

// UnionMembers returns the member codes of a union (広域連合) in fiscal year fy: its membership
// recorded for the latest year not after fy, ordered by code.
func (rf *Reference) UnionMembers(ctx context.Context, fy int, union string) ([]string, error) {
	rows, err := rf.s.db.QueryContext(ctx, `SELECT member_code FROM union_members WHERE union_code = ? AND valid_from_fy =
		(SELECT max(valid_from_fy) FROM union_members WHERE union_code = ? AND valid_from_fy <= ?) ORDER BY member_code`, union, union, fy)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ReplacedPopulation is a population figure an update replaced, kept with the file that replaced it.
type ReplacedPopulation struct {
	Total         *int64 // nil when the total was not given
	Age65Plus     int64
	ReferenceDate time.Time
	Source        string
	ReplacedAt    time.Time
	ReplacedBy    string
}

// ReplacedPopulations returns the figures of an entity for fiscal year fy that updates replaced,
// oldest first.
func (rf *Reference) ReplacedPopulations(ctx context.Context, fy int, code string) ([]ReplacedPopulation, error) {
	rows, err := rf.s.db.QueryContext(ctx, `SELECT population_total, population_65plus, reference_date, source, replaced_at, replaced_by
		FROM population_history WHERE fiscal_year = ? AND code = ? ORDER BY replaced_at, replaced_by`, fy, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReplacedPopulation
	for rows.Next() {
		var p ReplacedPopulation
		if err := rows.Scan(&p.Total, &p.Age65Plus, &p.ReferenceDate, &p.Source, &p.ReplacedAt, &p.ReplacedBy); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
