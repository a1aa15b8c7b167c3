package pgsql

import (
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5/pgconn"
)

// rows reads one statement's result, in text format. While it is open
// with rows left, the connection is busy (pgconn refuses other work).
type rows struct {
	rr     *pgconn.ResultReader
	fields []pgconn.FieldDescription // rr's, valid until it is closed
	cols   []string
	primed bool // the first row is read and waiting for Next
	done   bool // rr is closed
	open   bool // handed to database/sql and not closed yet
}

var _ driver.Rows = (*rows)(nil)

// start reads up to the first row of rr, so that an error (a bad
// statement, a unique violation, a dead connection) is the query's and
// not the first Next's. cols are the column names when known (prepared).
// The connection's own rows are reused when closed.
func (c *conn) start(rr *pgconn.ResultReader, cols []string) (driver.Rows, error) {
	r := &c.rows
	if r.open {
		r = new(rows)
	}
	*r = rows{rr: rr, fields: rr.FieldDescriptions(), cols: cols, open: true}
	if rr.NextRow() {
		r.primed = true
		return r, nil
	}
	r.done = true
	if _, err := rr.Close(); err != nil {
		r.open = false
		return nil, fail(err)
	}
	if r.cols == nil {
		r.cols = columns(r.fields) // now: the connection is free for other statements
	}
	return r, nil
}

// Columns are the result's column names.
func (r *rows) Columns() []string {
	if r.cols == nil {
		r.cols = columns(r.fields)
	}
	return r.cols
}

// Close reads and drops the rest of the result.
func (r *rows) Close() error {
	r.open = false
	if r.done {
		return nil
	}
	r.done = true
	_, err := r.rr.Close()
	return err
}

// Next decodes the next row into dest.
func (r *rows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	if r.primed {
		r.primed = false
	} else if !r.rr.NextRow() {
		r.done = true
		if _, err := r.rr.Close(); err != nil {
			return err
		}
		return io.EOF
	}
	for i, v := range r.rr.Values() {
		d, err := decode(r.fields[i].DataTypeOID, v)
		if err != nil {
			return fmt.Errorf("pgsql: column %s: %w", r.fields[i].Name, err)
		}
		dest[i] = d
	}
	return nil
}

// decode turns the text of a value of type oid into a Go value.
func decode(oid uint32, v []byte) (driver.Value, error) {
	if v == nil {
		return nil, nil
	}
	switch oid {
	case oidInt8, oidInt4, oidInt2, oidOID:
		return parseInt(v)
	case oidBool:
		if len(v) == 1 && (v[0] == 't' || v[0] == 'f') {
			return v[0] == 't', nil
		}
		return nil, fmt.Errorf("bad bool %q", v)
	case oidFloat4, oidFloat8:
		f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(v), len(v)), 64)
		if err != nil { // not err itself: it holds the string, which aliases v
			return nil, fmt.Errorf("bad float %q", v)
		}
		return f, nil
	case oidBytea:
		return decodeBytea(v)
	case oidTSTZ, oidTS, oidDate:
		return decodeTime(oid, string(v))
	}
	return string(v), nil
}

// decodeTime parses a date, timestamp or timestamptz into a time.Time in
// UTC. PostgreSQL's ISO DateStyle output (the server default) gives a
// timestamptz the session's offset as +hh, +hh:mm or +hh:mm:ss, a
// timestamp none. Years BC and infinity are refused.
func decodeTime(oid uint32, s string) (time.Time, error) {
	layouts := [...]string{"2006-01-02 15:04:05.999999999Z07", "2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999Z07:00:00"}
	switch oid {
	case oidDate:
		return time.Parse("2006-01-02", s)
	case oidTS:
		return time.Parse("2006-01-02 15:04:05.999999999", s)
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad timestamptz %q (the driver reads DateStyle ISO)", s)
}

// parseInt parses a decimal int64 without allocating.
func parseInt(b []byte) (int64, error) {
	digits := b
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 19 { // 19 digits fit a uint64
		return 0, fmt.Errorf("bad integer %q", b)
	}
	var n uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad integer %q", b)
		}
		n = n*10 + uint64(c-'0')
	}
	switch {
	case neg && n <= 1<<63:
		return -int64(n), nil // 1<<63 wraps to math.MinInt64, as it should
	case !neg && n < 1<<63:
		return int64(n), nil
	}
	return 0, fmt.Errorf("integer %q out of range", b)
}

// decodeBytea decodes bytea's text output: hex (\x0102..., the default)
// or the older escape format (bytea_output = escape).
func decodeBytea(v []byte) ([]byte, error) {
	if len(v) >= 2 && v[0] == '\\' && v[1] == 'x' {
		out := make([]byte, hex.DecodedLen(len(v)-2))
		if _, err := hex.Decode(out, v[2:]); err != nil {
			return nil, fmt.Errorf("bad bytea: %w", err)
		}
		return out, nil
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] != '\\':
			out = append(out, v[i])
		case i+1 < len(v) && v[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(v) && isOctal(v[i+1]) && isOctal(v[i+2]) && isOctal(v[i+3]):
			out = append(out, (v[i+1]-'0')<<6|(v[i+2]-'0')<<3|(v[i+3]-'0'))
			i += 3
		default:
			return nil, fmt.Errorf("bad bytea escape at byte %d", i)
		}
	}
	return out, nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
