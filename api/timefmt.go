package api

import (
	"strconv"
	"time"
)

// isoTime renders t like Python's datetime.isoformat() on an aware UTC
// value: microseconds only when non-zero, offset "+00:00".
func isoTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05") + "+00:00"
	}
	return t.Format("2006-01-02T15:04:05.000000") + "+00:00"
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
