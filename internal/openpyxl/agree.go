package openpyxl

import (
	"fmt"
	"math/big"

	"github.com/xuri/excelize/v2"
)

// Disagreements reads the workbook at path with openpyxl's read-only mode and with excelize (which
// reads every cell of a sheet's XML whatever its <dimension> says) and lists every cell holding a
// value that openpyxl does not see, or sees differently, as "sheet!A1: …". Empty means a reader that
// trusts <dimension> sees the whole workbook as written. Numbers are compared exactly as decimals.
func Disagreements(path string) ([]string, error) {
	sheets, err := ReadSheets(path)
	if err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	names := f.GetSheetList()
	if len(names) != len(sheets) {
		out = append(out, fmt.Sprintf("excelize reads %d sheets, openpyxl %d", len(names), len(sheets)))
	}
	for _, sh := range sheets {
		rows, err := f.GetRows(sh.Name, excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sh.Name, err)
		}
		for i, row := range rows {
			for j, want := range row {
				if want == "" {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				var got any
				if i < len(sh.Rows) && j < len(sh.Rows[i]) {
					got = sh.Rows[i][j]
				}
				if !same(want, got) {
					out = append(out, fmt.Sprintf("%s!%s: written %q, openpyxl reads %q (its dimension: %d rows × %d columns)", sh.Name, cell, want, Text(got), sh.MaxRow, sh.MaxColumn))
				}
			}
		}
	}
	return out, nil
}

// same: excelize's raw text of a cell and openpyxl's value are the same value.
func same(raw string, v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case Number:
		a, ok1 := new(big.Rat).SetString(raw)
		b, ok2 := new(big.Rat).SetString(string(x))
		return ok1 && ok2 && a.Cmp(b) == 0
	case bool:
		return (raw == "1" || raw == "TRUE" || raw == "true") == x
	}
	return raw == Text(v)
}
