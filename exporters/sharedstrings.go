package exporters

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// Shared strings for rows written as XML. The review workbook's 「回答と得点」 repeats the same
// texts row after row (the municipality, the item, its goal, indicator and question, はい,
// 達成): as inline strings they made 177 MB of XML for the nation, compressed at the export's
// slowest step. Written as indexes into the workbook's shared string table, each distinct text
// is written once. excelize keeps its own table for the cells it writes, whose size is known only
// when it saves; the rows carry each index behind sharedMark, and save appends these texts to
// excelize's table and writes each index plus the number of excelize's texts.

// sharedMark starts a shared string's index in rows written as XML, until save renumbers it: a
// byte that escaped text never contains (encoding/xml writes U+FFFD for it).
const sharedMark = '\x01'

// sharedStrings are the distinct texts of the rows written as XML with a table, in the order
// first written.
type sharedStrings struct {
	index map[cellText]int
	list  []cellText
	refs  int // cells that refer to the table
}

// add returns t's index in the table, adding it the first time.
func (s *sharedStrings) add(t cellText) int {
	s.refs++
	if i, ok := s.index[t]; ok {
		return i
	}
	if s.index == nil {
		s.index = map[cellText]int{}
	}
	s.index[t] = len(s.list)
	s.list = append(s.list, t)
	return len(s.list) - 1
}

// sharedRows starts rows, written as XML, whose texts go into the workbook's shared string table.
func (b *book) sharedRows() *sheetRows {
	if b.sst == nil {
		b.sst = &sharedStrings{}
	}
	return &sheetRows{sst: b.sst}
}

var (
	sstStart       = regexp.MustCompile(`<sst\b[^>]*>`)
	sstCount       = regexp.MustCompile(`\bcount="([0-9]+)"`)
	sstUniqueCount = regexp.MustCompile(`\buniqueCount="([0-9]+)"`)
)

// appendSharedStrings returns excelize's shared string table (xl/sharedStrings.xml) with s's
// texts after its own, its counts updated, and the number of excelize's own texts, by which the
// rows' indexes are moved.
func appendSharedStrings(table []byte, s *sharedStrings) ([]byte, int, error) {
	loc := sstStart.FindIndex(table)
	end := bytes.LastIndex(table, []byte("</sst>"))
	if loc == nil || end < loc[1] {
		return nil, 0, errors.New("shared strings: no <sst> … </sst>")
	}
	head := table[loc[0]:loc[1]]
	m := sstUniqueCount.FindSubmatch(head)
	if m == nil {
		return nil, 0, errors.New("shared strings: no uniqueCount")
	}
	own, _ := strconv.Atoi(string(m[1]))
	if n := bytes.Count(table[loc[1]:end], []byte("<si>")); n != own {
		return nil, 0, fmt.Errorf("shared strings: uniqueCount %d, %d texts", own, n)
	}
	count := own
	if c := sstCount.FindSubmatch(head); c != nil {
		count, _ = strconv.Atoi(string(c[1]))
	}
	head = sstUniqueCount.ReplaceAll(head, []byte(`uniqueCount="`+strconv.Itoa(own+len(s.list))+`"`))
	head = sstCount.ReplaceAll(head, []byte(`count="`+strconv.Itoa(count+s.refs)+`"`))
	var out bytes.Buffer
	out.Grow(len(table) + 32*len(s.list))
	out.Write(table[:loc[0]])
	out.Write(head)
	out.Write(table[loc[1]:end])
	for _, t := range s.list {
		if t.preserve {
			out.WriteString(`<si><t xml:space="preserve">`)
		} else {
			out.WriteString(`<si><t>`)
		}
		out.WriteString(t.xml)
		out.WriteString(`</t></si>`)
	}
	out.Write(table[end:])
	return out.Bytes(), own, nil
}

// writeRenumbered writes rows (XML with shared string indexes behind sharedMark) to out, each
// index moved by offset.
func writeRenumbered(out *bytes.Buffer, rows []byte, offset int) error {
	var num []byte
	for {
		k := bytes.IndexByte(rows, sharedMark)
		if k < 0 {
			out.Write(rows)
			return nil
		}
		out.Write(rows[:k])
		rows = rows[k+1:]
		j := 0
		for j < len(rows) && rows[j] >= '0' && rows[j] <= '9' {
			j++
		}
		if j == 0 || !bytes.HasPrefix(rows[j:], []byte("</v>")) {
			return errors.New("shared strings: a mark without an index")
		}
		i, err := strconv.Atoi(string(rows[:j]))
		if err != nil {
			return err
		}
		num = strconv.AppendInt(num[:0], int64(i+offset), 10)
		out.Write(num)
		rows = rows[j:]
	}
}
