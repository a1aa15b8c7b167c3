package main

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// chart draws product req/s per scenario as bars on a log scale, each
// scenario's paired reference median as a dashed tick over its bar, and the
// reference of scenario a as a horizontal line across the chart.
func chart(scen []*Scenario, meta map[string]any) string {
	const W, H = 820, 496
	const left, right, top, bottom = 78, 20, 72, 110
	pw, ph := float64(W-left-right), float64(H-top-bottom)
	lo, hi := math.Inf(1), 0.0
	for _, s := range scen {
		for _, v := range []float64{s.Product.RPS, s.Ref.RPS} {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if hi == 0 {
		lo, hi = 1, 10
	}
	dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dhi == dlo {
		dhi++
	}
	y := func(v float64) float64 {
		if v <= 0 {
			return float64(top) + ph
		}
		return float64(top) + ph - (math.Log10(v)-dlo)/(dhi-dlo)*ph
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", W, H, W, H)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", W, H)
	title := fmt.Sprintf("notechondria-auth under wrk %v: req/s per scenario (log scale)", meta["wrk_args"])
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(title))
	sub := fmt.Sprintf("%v x %v, %v; medians of %v rounds; bars: product; reference: bare net/http, 20-byte JSON",
		meta["nproc"], meta["cpu_model"], meta["go_version"], meta["rounds"])
	fmt.Fprintf(&b, `<text x="%d" y="40" fill="#555">%s</text>`+"\n", left, html.EscapeString(sub))
	// Grid: decades and 2x, 5x.
	for d := dlo; d <= dhi; d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if math.Log10(v) > dhi+1e-9 {
				continue
			}
			yy := y(v)
			stroke, label := "#eee", ""
			if m == 1 {
				stroke, label = "#ccc", axisLabel(v)
			}
			fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>`+"\n", left, W-right, yy, yy, stroke)
			if label != "" {
				fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#555">%s</text>`+"\n", left-6, yy+4, label)
			}
		}
	}
	fmt.Fprintf(&b, `<text transform="translate(18,%.0f) rotate(-90)" text-anchor="middle" fill="#333">requests / second</text>`+"\n", float64(top)+ph/2)
	n := float64(len(scen))
	slot := pw / math.Max(n, 1)
	for i, s := range scen {
		x0 := float64(left) + float64(i)*slot
		bw := slot * 0.56
		bx := x0 + (slot-bw)/2
		by := y(s.Product.RPS)
		color := "#2b7bb9"
		if s.Name == "e" {
			color = "#c77c1e"
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", bx, by, bw, float64(top)+ph-by, color)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-weight="bold">%s</text>`+"\n", x0+slot/2, by-6, humanize(s.Product.RPS))
		if want := loginTarget(meta); s.Name == "e" && want > 0 {
			ty := y(want)
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#c77c1e" stroke-width="2" stroke-dasharray="2,2"/>`+"\n", x0+4, x0+slot-4, ty, ty)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#c77c1e" font-size="11">target %s</text>`+"\n", x0+slot/2, ty-20, humanize(want))
		}
		if s.Name == "e" {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#c77c1e">logins/s</text>`+"\n", x0+slot/2, H-bottom+72)
		} else if s.Ref.RPS > 0 {
			ry := y(s.Ref.RPS)
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#d62728" stroke-width="2" stroke-dasharray="5,3"/>`+"\n", x0+4, x0+slot-4, ry, ry)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#d62728">%.2fx ref</text>`+"\n", x0+slot/2, H-bottom+72, s.Ratio)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-weight="bold">%s</text>`+"\n", x0+slot/2, H-bottom+16, s.Name)
		for j, line := range chartLabel[s.Name] {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#333" font-size="11">%s</text>`+"\n", x0+slot/2, H-bottom+30+j*13, html.EscapeString(line))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555" font-size="11">p99 %s</text>`+"\n", x0+slot/2, H-bottom+86, us(s.Product.P99us))
	}
	if a := findScen(scen, "a"); a != nil && a.Ref.RPS > 0 {
		ry := y(a.Ref.RPS)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#d62728" stroke-width="1" opacity="0.6"/>`+"\n", left, W-right, ry, ry)
		fmt.Fprintf(&b, `<text x="%d" y="56" fill="#d62728">thin line: reference of (a), %s req/s; dashed per bar: reference of that scenario</text>`+"\n", left, humanize(a.Ref.RPS))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555" font-size="11">%s</text>`+"\n", left, H-12,
		html.EscapeString(fmt.Sprintf("commit %v, %v; ratio = product median / reference median of the same scenario (same wrk command, alternated)", meta["commit"], meta["started"])))
	b.WriteString("</svg>\n")
	return b.String()
}

// loginTarget is 0.8 x cores / single-hash time, in logins/s (0: unknown).
func loginTarget(meta map[string]any) float64 {
	hashMS, n := metaNum(meta, "hash", "hash_ms_median"), metaNum(meta, "nproc")
	if hashMS <= 0 || n <= 0 {
		return 0
	}
	return 0.8 * n / (hashMS / 1000)
}

func axisLabel(v float64) string {
	if v >= 1000 {
		return strconv.FormatFloat(v/1000, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func humanize(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case v >= 10000:
		return fmt.Sprintf("%.1fk", v/1000)
	case v >= 1000:
		return fmt.Sprintf("%.2fk", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
