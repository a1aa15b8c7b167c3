package pgsql

import (
	"database/sql/driver"
	"fmt"
	"math"
	"strconv"
	"time"
	"unsafe"
)

// Type OIDs (pg_type.oid) of the built-in types this driver decodes, and
// the protocol's format codes.
const (
	oidBool    = 16
	oidBytea   = 17
	oidInt8    = 20
	oidInt2    = 21
	oidInt4    = 23
	oidOID     = 26
	oidFloat4  = 700
	oidFloat8  = 701
	oidDate    = 1082
	oidTS      = 1114 // timestamp without time zone
	oidTSTZ    = 1184 // timestamp with time zone
	textFormat = 0
	// binaryFormat is used for bytea parameters only: their binary form
	// is the bytes themselves.
	binaryFormat = 1
)

// timeLayout is the text of a time.Time argument, which PostgreSQL reads
// as a timestamptz (or, ignoring the zone, a timestamp).
const timeLayout = "2006-01-02 15:04:05.999999999Z07:00"

// encoder turns a statement's arguments into the parameter values pgconn
// sends. Its slices are reused from statement to statement: pgconn copies
// the values into its send buffer before ExecParams or ExecStatement
// returns, so they are free again by the next statement.
type encoder struct {
	vals    [][]byte
	spans   []span // where each value lies in buf (from < 0: not in buf)
	buf     []byte // text of numbers, booleans and times
	oids    []uint32
	formats []int16
}

type span struct{ from, to int }

// encode fills e.vals from args. Strings are not copied: the value aliases
// the string's bytes, which pgconn only reads.
func (e *encoder) encode(args []driver.NamedValue) error {
	e.vals, e.spans, e.buf = e.vals[:0], e.spans[:0], e.buf[:0]
	for _, a := range args {
		if a.Name != "" {
			return ErrNamedArgs
		}
		var val []byte
		from := len(e.buf)
		switch v := a.Value.(type) {
		case nil:
		case string:
			val = []byte{} // not nil: nil is NULL
			if len(v) > 0 {
				val = unsafe.Slice(unsafe.StringData(v), len(v))
			}
		case []byte:
			val = v // nil is NULL, as database/sql means it
		case int64:
			e.buf = strconv.AppendInt(e.buf, v, 10)
		case float64:
			e.buf = appendFloat(e.buf, v)
		case bool:
			e.buf = strconv.AppendBool(e.buf, v)
		case time.Time:
			e.buf = v.AppendFormat(e.buf, timeLayout)
		default:
			return fmt.Errorf("pgsql: argument $%d: unsupported type %T", a.Ordinal, a.Value)
		}
		if len(e.buf) == from {
			from = -1
		}
		e.vals = append(e.vals, val)
		e.spans = append(e.spans, span{from, len(e.buf)})
	}
	// buf may have moved while it grew: slice it only now.
	for i, s := range e.spans {
		if s.from >= 0 {
			e.vals[i] = e.buf[s.from:s.to:s.to]
		}
	}
	return nil
}

// appendFloat spells v as PostgreSQL's float8 input reads it.
func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "Infinity"...)
	case math.IsInf(v, -1):
		return append(b, "-Infinity"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// inferred returns the parameter types and formats of an unprepared
// statement: the server infers every type from the text, except that
// []byte arguments go as binary bytea. Both are nil without []byte
// arguments (all text, all inferred).
func (e *encoder) inferred(args []driver.NamedValue) ([]uint32, []int16) {
	binary := false
	for _, a := range args {
		if _, ok := a.Value.([]byte); ok {
			binary = true
			break
		}
	}
	if !binary {
		return nil, nil
	}
	e.oids, e.formats = e.oids[:0], e.formats[:0]
	for _, a := range args {
		var oid uint32
		var format int16 = textFormat
		if _, ok := a.Value.([]byte); ok {
			oid, format = oidBytea, binaryFormat
		}
		e.oids = append(e.oids, oid)
		e.formats = append(e.formats, format)
	}
	return e.oids, e.formats
}
