package throttle

import (
	"strconv"
	"testing"
	"time"
)

func BenchmarkAdd(b *testing.B) {
	l := New(5, 15*time.Minute, nil, WithMaxKeys(10_000))
	keys := make([]string, 20_000) // twice the table: exercises eviction
	for i := range keys {
		keys[i] = "203.0.113." + strconv.Itoa(i)
	}
	i := 0
	for b.Loop() {
		l.Add(keys[i%len(keys)])
		i++
	}
}

func BenchmarkCheck(b *testing.B) {
	l := New(5, 15*time.Minute, nil)
	for i := range 1000 {
		l.Add(strconv.Itoa(i))
	}
	i := 0
	for b.Loop() {
		l.Check(strconv.Itoa(i % 2000))
		i++
	}
}

func BenchmarkAddCheckParallel(b *testing.B) {
	l := New(5, 15*time.Minute, nil)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			k := strconv.Itoa(i % 1000)
			if _, ok := l.Check(k); ok {
				l.Add(k)
			}
			i++
		}
	})
}
