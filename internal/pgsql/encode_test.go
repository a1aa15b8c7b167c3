package pgsql

import (
	"bytes"
	"database/sql/driver"
	"math"
	"strconv"
	"testing"
	"time"
)

func TestParseInt(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"-0", 0, true},
		{"42", 42, true},
		{"-42", -42, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"1.5", 0, false},
		{"+1", 0, false},
	} {
		got, err := parseInt([]byte(c.in))
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseInt(%q) = %d, %v", c.in, got, err)
		}
	}
}

func TestDecodeBytea(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []byte
		ok   bool
	}{
		{`\x`, []byte{}, true},
		{`\x00ff41`, []byte{0, 0xff, 'A'}, true},
		{`\x0`, nil, false},
		{`\xzz`, nil, false},
		{``, []byte{}, true},
		{`abc`, []byte("abc"), true},
		{`a\\b\000\377`, []byte{'a', '\\', 'b', 0, 0xff}, true},
		{`\9`, nil, false},
		{`\12`, nil, false},
	} {
		got, err := decodeBytea([]byte(c.in))
		if (err == nil) != c.ok || !bytes.Equal(got, c.want) || (c.ok && got == nil) {
			t.Errorf("decodeBytea(%q) = %q, %v", c.in, got, err)
		}
	}
}

func args(vs ...any) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(vs))
	for i, v := range vs {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv
}

// Every value lands where it should, even when buf grows midway (its
// earlier values are sliced only at the end), and "" is not NULL.
func TestEncode(t *testing.T) {
	var e encoder
	var vs []any
	var want []string
	for i := range 50 {
		vs = append(vs, int64(i)*1e15, "s", true, 2.5, time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC))
		want = append(want, strconv.FormatInt(int64(i)*1e15, 10), "s", "true", "2.5", "2024-05-06 07:08:09.00000001Z")
	}
	vs = append(vs, "", nil, []byte(nil), []byte{1}, math.Inf(-1), false)
	if err := e.encode(args(vs...)); err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if string(e.vals[i]) != w {
			t.Fatalf("value %d = %q, want %q", i, e.vals[i], w)
		}
	}
	tail := e.vals[len(want):]
	if tail[0] == nil || len(tail[0]) != 0 || tail[1] != nil || tail[2] != nil || !bytes.Equal(tail[3], []byte{1}) ||
		string(tail[4]) != "-Infinity" || string(tail[5]) != "false" {
		t.Fatalf("tail %q", tail)
	}
	oids, formats := e.inferred(args(vs...))
	if len(oids) != len(vs) || oids[len(vs)-3] != oidBytea || formats[len(vs)-3] != binaryFormat || oids[0] != 0 || formats[0] != textFormat {
		t.Fatalf("inferred %v %v", oids, formats)
	}
	if oids, formats := e.inferred(args(int64(1), "x")); oids != nil || formats != nil {
		t.Fatalf("inferred without []byte: %v %v", oids, formats)
	}
	if err := e.encode(args(struct{}{})); err == nil {
		t.Fatal("struct argument accepted")
	}
	if err := e.encode([]driver.NamedValue{{Name: "a", Ordinal: 1, Value: int64(1)}}); err != ErrNamedArgs {
		t.Fatalf("named argument: %v", err)
	}
}

// The token check's path allocates nothing in this package once its
// buffers have grown: arguments are encoded into reused buffers (strings
// aliased, not copied) and integers parsed in place.
func TestHotPathDoesNotAllocate(t *testing.T) {
	var e encoder
	a := args("0123456789abcdef0123456789abcdef", int64(1700000000000000), int64(3))
	e.encode(a)
	if n := testing.AllocsPerRun(100, func() { e.encode(a) }); n != 0 {
		t.Errorf("encode: %v allocations", n)
	}
	v := []byte("1700000000000000")
	if n := testing.AllocsPerRun(100, func() { parseInt(v) }); n != 0 {
		t.Errorf("parseInt: %v allocations", n)
	}
}
