package api

import (
	"strconv"
	"time"
)

// isoTime renders t like Python's datetime.isoformat() on an aware UTC
// value: microseconds only when non-zero, offset "+00:00". It is on every
// read path (a session list renders two per row), so the common case is
// written out digit by digit instead of through time.Format's layout
// interpreter (a fifth of the session list's CPU); years outside 0-9999
// take the general path.
func isoTime(t time.Time) string {
	var b [32]byte
	return string(appendISOTime(b[:0], t))
}

// appendISOTime appends isoTime(t) to dst.
func appendISOTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		if t.Nanosecond()/1000 == 0 {
			return append(t.AppendFormat(dst, "2006-01-02T15:04:05"), "+00:00"...)
		}
		return append(t.AppendFormat(dst, "2006-01-02T15:04:05.000000"), "+00:00"...)
	}
	hour, minute, sec := t.Clock()
	micro := t.Nanosecond() / 1000
	put := func(v, digits int) {
		var buf [6]byte
		for i := digits - 1; i >= 0; i-- {
			buf[i] = byte('0' + v%10)
			v /= 10
		}
		dst = append(dst, buf[:digits]...)
	}
	put(year, 4)
	dst = append(dst, '-')
	put(int(month), 2)
	dst = append(dst, '-')
	put(day, 2)
	dst = append(dst, 'T')
	put(hour, 2)
	dst = append(dst, ':')
	put(minute, 2)
	dst = append(dst, ':')
	put(sec, 2)
	if micro != 0 {
		dst = append(dst, '.')
		put(micro, 6)
	}
	return append(dst, "+00:00"...)
}

// isoTimePtr is isoTime for nullable values (nil -> JSON null).
func isoTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := isoTime(*t)
	return &s
}

// drfTime renders t as DRF's encoder does: isoformat with "+00:00" replaced
// by "Z".
func drfTime(t time.Time) string {
	s := isoTime(t)
	return s[:len(s)-len("+00:00")] + "Z"
}

// formatSeconds renders a duration in whole seconds.
func formatSeconds(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}
