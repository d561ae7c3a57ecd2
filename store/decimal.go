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
	var buf [32]byte
	text := strconv.AppendFloat(buf[:0], v, 'f', -1, 64)
	if units, ok := millionths(text); ok {
		return duckdb.Decimal{Width: valueWidth, Scale: valueScale, Value: big.NewInt(units)}, nil
	}
	return valueDecimalRat(string(text))
}

// millionths reads a number's shortest decimal form (digits, at most one point, an optional
// minus) as millionths when that is exact and fits DECIMAL(18,6) without rounding: at most 12
// digits before the point and 6 after it, which is every number people type in a survey. false
// sends the others through valueDecimalRat.
func millionths(text []byte) (int64, bool) {
	neg := len(text) > 0 && text[0] == '-'
	if neg {
		text = text[1:]
	}
	whole, frac := text, []byte(nil)
	for i, c := range text {
		if c == '.' {
			whole, frac = text[:i], text[i+1:]
			break
		}
	}
	if len(whole) == 0 || len(whole) > 12 || len(frac) > valueScale {
		return 0, false
	}
	var units int64
	for _, c := range whole {
		if c < '0' || c > '9' {
			return 0, false
		}
		units = units*10 + int64(c-'0')
	}
	for i := 0; i < valueScale; i++ {
		units *= 10
		if i < len(frac) {
			c := frac[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			units += int64(c - '0')
		}
	}
	if neg {
		units = -units
	}
	return units, true
}

// valueDecimalRat is valueDecimal of a number's shortest decimal form in exact rational arithmetic.
func valueDecimalRat(text string) (driver.Value, error) {
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
