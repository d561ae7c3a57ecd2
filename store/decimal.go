package store

import (
	"database/sql/driver"
	"fmt"
	"math/big"
	"strconv"

	"github.com/marcboeker/go-duckdb"

	"github.com/kofukin/kofukin/indicators"
)

// An answer's number is stored as DECIMAL(valueWidth, valueScale) = DECIMAL(18,6) (answers.value_num):
// six decimal places and less than 10¹² in magnitude (loaders.MaxAnswerMagnitude).
const (
	valueScale = 6
	valueWidth = 18
)

var (
	valueFactor = new(big.Int).Exp(big.NewInt(10), big.NewInt(valueScale), nil) // 10⁶
	valueLimit  = new(big.Int).Exp(big.NewInt(10), big.NewInt(valueWidth), nil) // 10¹⁸ millionths = 10¹²
)

// valueDecimal converts an answer's number to what the appender stores in a DECIMAL(18,6) column.
// The number is taken as its shortest decimal form (strconv 'f', -1: the normalised text the loaders
// write for a number, i.e. what was typed whenever it has at most 15 significant digits; 1/0 for
// yes/no; a choice's position), exactly, then rounded half away from zero to 6 decimal places.
// A number that does not fit DECIMAL(18,6) (|v| ≥ 10¹²), NaN or an infinity is an error.
func valueDecimal(v float64) (driver.Value, error) {
	text := strconv.FormatFloat(v, 'f', -1, 64)
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return nil, fmt.Errorf("number %s cannot be stored as a decimal", text)
	}
	units := indicators.RoundHalfAway(new(big.Rat).Mul(r, new(big.Rat).SetInt(valueFactor)))
	if new(big.Int).Abs(units).Cmp(valueLimit) >= 0 {
		return nil, fmt.Errorf("number %s is too large to store (DECIMAL(18,6) holds less than 10^12)", text)
	}
	// The appender takes a Decimal's Value as the column's unscaled integer.
	return duckdb.Decimal{Width: valueWidth, Scale: valueScale, Value: units}, nil
}

// parseDecimalText reads a DECIMAL column cast to VARCHAR (e.g. "32.300000") as a float64 for
// display and for loaders.Answer.Num. Exactness is kept by the text: callers that need the exact
// value read the column in SQL, not this float.
func parseDecimalText(s string) (float64, error) {
	return strconv.ParseFloat(s, 64)
}
