// Command report turns the per-run lines of bench/load.sh
// (bench/results-raw.csv) and its machine description (bench/meta.json) into
// medians, ratios to the reference and the targets: a Markdown table
// on stdout, bench/results.json, and an SVG chart of req/s per scenario with
// the reference drawn as a line.
package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
)

var scenarioOrder = []string{"a", "b", "c", "d", "g", "h", "e", "f1", "f2", "pa", "pb", "pe"}

// chartLabel is the two-line caption under each bar.
var chartLabel = map[string][]string{
	"a":  {"verify", "warm cache"},
	"b":  {"verify", "cache off"},
	"c":  {"verify", "write-through"},
	"d":  {"session list", "10 sessions"},
	"g":  {"probe", "auth/session/"},
	"h":  {"settings", "GET"},
	"e":  {"login flood", "argon2id"},
	"f1": {"verify", "1M rows"},
	"f2": {"verify, 1M rows", "while sweeping"},
	"pa": {"PostgreSQL verify", "warm cache"},
	"pb": {"PostgreSQL verify", "cache off"},
	"pe": {"PostgreSQL login", "argon2id"},
}

var scenarioTitle = map[string]string{
	"a":  "verify, warm cache",
	"b":  "verify, --cache-size 0",
	"c":  "verify, --touch-interval 0",
	"d":  "session list (10 sessions)",
	"g":  "session probe (GET auth/session/)",
	"h":  "GET settings/",
	"e":  "login flood (argon2id)",
	"f1": "verify, 1M session rows",
	"f2": "verify, 1M rows, sweeping",
	"pa": "PostgreSQL: verify, warm cache",
	"pb": "PostgreSQL: verify, --cache-size 0",
	"pe": "PostgreSQL: login flood (argon2id)",
}

type run struct {
	round                               int
	scenario, target                    string
	rps, p50, p99, max                  float64
	requests, non2xx, errors            float64
	cpuMS, hwmKB, rssKB                 float64
	expiredBefore, expiredAfter, hasExp float64
}

// Side is the aggregate of one target (product or reference) in a scenario.
type Side struct {
	Runs       int       `json:"runs"`
	RPS        float64   `json:"rps_median"`
	RPSAll     []float64 `json:"rps_runs"`
	P50us      float64   `json:"p50_us_median"`
	P99us      float64   `json:"p99_us_median"`
	P99All     []float64 `json:"p99_us_runs"`
	CPUusReq   float64   `json:"cpu_us_per_request_median"`
	PeakHWMKB  float64   `json:"peak_rss_kb_max"`
	Requests   float64   `json:"requests_median"`
	Errors     float64   `json:"socket_errors_total"`
	SweptRows  float64   `json:"swept_rows_median,omitempty"`
	SweptPerS  float64   `json:"swept_rows_per_s_median,omitempty"`
	RatioRuns  []float64 `json:"ratio_runs,omitempty"`
	RatioMedOf float64   `json:"ratio_median_of_runs,omitempty"`
}

// Scenario is one row of the table.
type Scenario struct {
	Name    string  `json:"name"`
	Title   string  `json:"title"`
	Product Side    `json:"product"`
	Ref     Side    `json:"reference"`
	Ratio   float64 `json:"ratio_rps"` // median product / median reference
	P99x    float64 `json:"p99_vs_reference"`
}

// Target is one line of the target list.
type Target struct {
	Name     string  `json:"name"`
	Want     string  `json:"want"`
	Measured string  `json:"measured"`
	Value    float64 `json:"value"`
	Limit    float64 `json:"limit"`
	Pass     bool    `json:"pass"`
}

func main() {
	rawPath := flag.String("raw", "bench/results-raw.csv", "per-run CSV from load.sh")
	metaPath := flag.String("meta", "bench/meta.json", "machine description from load.sh")
	jsonOut := flag.String("json", "bench/results.json", "write the aggregate here")
	svgOut := flag.String("svg", "bench/chart.svg", "write the chart here")
	flag.Parse()

	runs, err := readRuns(*rawPath)
	if err != nil {
		fail(err)
	}
	meta := map[string]any{}
	if b, err := os.ReadFile(*metaPath); err == nil {
		if err := json.Unmarshal(b, &meta); err != nil {
			fail(fmt.Errorf("%s: %w", *metaPath, err))
		}
	}

	var scen []*Scenario
	byName := map[string]*Scenario{}
	for _, name := range scenarioOrder {
		p, r := filter(runs, name, "prod"), filter(runs, name, "ref")
		if len(p) == 0 {
			continue
		}
		s := &Scenario{Name: name, Title: scenarioTitle[name], Product: aggregate(p), Ref: aggregate(r)}
		if s.Ref.RPS > 0 {
			s.Ratio = s.Product.RPS / s.Ref.RPS
			s.P99x = s.Product.P99us / s.Ref.P99us
			s.Product.RatioRuns = pairedRatios(p, r)
			s.Product.RatioMedOf = median(s.Product.RatioRuns)
		}
		scen = append(scen, s)
		byName[name] = s
	}
	targets := evaluate(byName, meta)

	out := map[string]any{"meta": meta, "scenarios": scen, "targets": targets}
	if b, err := json.MarshalIndent(out, "", "  "); err == nil {
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fail(err)
		}
	}
	if err := os.WriteFile(*svgOut, []byte(chart(scen, meta)), 0o644); err != nil {
		fail(err)
	}
	printTable(os.Stdout, scen, targets, meta)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "report:", err)
	os.Exit(1)
}

func readRuns(path string) ([]run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("%s: no runs", path)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	num := func(rec []string, name string) float64 {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return 0
		}
		v, _ := strconv.ParseFloat(rec[i], 64)
		return v
	}
	var out []run
	for _, rec := range recs[1:] {
		r := run{scenario: rec[col["scenario"]], target: rec[col["target"]],
			round: int(num(rec, "round")), rps: num(rec, "rps"), p50: num(rec, "p50_us"),
			p99: num(rec, "p99_us"), max: num(rec, "max_us"), requests: num(rec, "requests"),
			non2xx: num(rec, "non2xx"), errors: num(rec, "errors"), cpuMS: num(rec, "cpu_ms"),
			hwmKB: num(rec, "hwm_kb"), rssKB: num(rec, "rss_kb"),
			expiredBefore: num(rec, "expired_before"), expiredAfter: num(rec, "expired_after")}
		if rec[col["expired_before"]] != "" {
			r.hasExp = 1
		}
		out = append(out, r)
	}
	return out, nil
}

func filter(runs []run, scenario, target string) []run {
	var out []run
	for _, r := range runs {
		if r.scenario == scenario && r.target == target {
			out = append(out, r)
		}
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func aggregate(rs []run) Side {
	var rps, p50, p99, cpu, req, swept, sweptS []float64
	s := Side{Runs: len(rs)}
	for _, r := range rs {
		rps = append(rps, r.rps)
		p50 = append(p50, r.p50)
		p99 = append(p99, r.p99)
		req = append(req, r.requests)
		if r.requests > 0 {
			cpu = append(cpu, r.cpuMS*1000/r.requests)
		}
		s.PeakHWMKB = math.Max(s.PeakHWMKB, r.hwmKB)
		s.Errors += r.errors
		if r.hasExp > 0 {
			swept = append(swept, r.expiredBefore-r.expiredAfter)
			if r.rps > 0 {
				sweptS = append(sweptS, (r.expiredBefore-r.expiredAfter)/(r.requests/r.rps))
			}
		}
	}
	s.RPS, s.RPSAll, s.P50us, s.P99us, s.P99All = median(rps), rps, median(p50), median(p99), p99
	s.CPUusReq, s.Requests = median(cpu), median(req)
	s.SweptRows, s.SweptPerS = median(swept), median(sweptS)
	return s
}

// pairedRatios divides each product run by the reference run of its round.
func pairedRatios(p, r []run) []float64 {
	ref := map[int]float64{}
	for _, x := range r {
		ref[x.round] = x.rps
	}
	var out []float64
	for _, x := range p {
		if v := ref[x.round]; v > 0 {
			out = append(out, x.rps/v)
		}
	}
	return out
}

func metaNum(meta map[string]any, path ...string) float64 {
	var cur any = meta
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return 0
		}
		cur = m[p]
	}
	v, _ := cur.(float64)
	return v
}

func evaluate(sc map[string]*Scenario, meta map[string]any) []Target {
	var ts []Target
	add := func(name, want, measured string, value, limit float64, atLeast bool) {
		pass := value <= limit
		if atLeast {
			pass = value >= limit
		}
		ts = append(ts, Target{Name: name, Want: want, Measured: measured, Value: value, Limit: limit, Pass: pass})
	}
	if a := sc["a"]; a != nil {
		add("a: req/s vs reference", ">= 0.90x", fmt.Sprintf("%.2fx (%.0f / %.0f)", a.Ratio, a.Product.RPS, a.Ref.RPS), a.Ratio, 0.9, true)
		add("a: p99 vs reference p99", "<= 2.0x", fmt.Sprintf("%.2fx (%s / %s)", a.P99x, us(a.Product.P99us), us(a.Ref.P99us)), a.P99x, 2, false)
	}
	if b := sc["b"]; b != nil {
		add("b: req/s vs reference (cache off)", ">= 0.40x", fmt.Sprintf("%.2fx (%.0f / %.0f)", b.Ratio, b.Product.RPS, b.Ref.RPS), b.Ratio, 0.4, true)
	}
	if a, c := sc["a"], sc["c"]; a != nil && c != nil {
		x := a.Product.RPS / c.Product.RPS
		add("a vs c: coalesced vs write-through", ">= 4x", fmt.Sprintf("%.1fx (%.0f / %.0f)", x, a.Product.RPS, c.Product.RPS), x, 4, true)
	}
	if d := sc["d"]; d != nil {
		add("d: req/s vs reference (session list)", ">= 0.60x", fmt.Sprintf("%.2fx (%.0f / %.0f)", d.Ratio, d.Product.RPS, d.Ref.RPS), d.Ratio, 0.6, true)
	}
	if g := sc["g"]; g != nil {
		add("g: req/s vs reference (probe)", ">= 0.50x", fmt.Sprintf("%.2fx (%.0f / %.0f)", g.Ratio, g.Product.RPS, g.Ref.RPS), g.Ratio, 0.5, true)
	}
	if h := sc["h"]; h != nil {
		add("h: req/s vs reference (GET settings/)", ">= 0.50x", fmt.Sprintf("%.2fx (%.0f / %.0f)", h.Ratio, h.Product.RPS, h.Ref.RPS), h.Ratio, 0.5, true)
	}
	if e := sc["e"]; e != nil {
		hashMS := metaNum(meta, "hash", "hash_ms_median")
		n := metaNum(meta, "nproc")
		if hashMS > 0 && n > 0 {
			want := 0.8 * n / (hashMS / 1000)
			add("e: logins/s", fmt.Sprintf(">= 0.8 x %g cores / %.1f ms = %.1f/s", n, hashMS, want),
				fmt.Sprintf("%.1f/s (%.2fx of cores/hash time)", e.Product.RPS, e.Product.RPS/(n/(hashMS/1000))), e.Product.RPS, want, true)
		}
		add("e: peak RSS under 64-connection login flood", "<= 128 MiB", mib(e.Product.PeakHWMKB), e.Product.PeakHWMKB/1024, 128, false)
	}
	if a, f := sc["a"], sc["f1"]; a != nil && f != nil {
		x := f.Product.RPS / a.Product.RPS
		add("f: req/s with 1M rows vs 10k rows", ">= 0.90x", fmt.Sprintf("%.2fx (%.0f / %.0f)", x, f.Product.RPS, a.Product.RPS), x, 0.9, true)
	}
	if f1, f2 := sc["f1"], sc["f2"]; f1 != nil && f2 != nil {
		x := f2.Product.P99us / f1.Product.P99us
		add("f: p99 while sweeping vs idle p99", "<= 3.0x", fmt.Sprintf("%.2fx (%s / %s)", x, us(f2.Product.P99us), us(f1.Product.P99us)), x, 3, false)
	}
	if pa := sc["pa"]; pa != nil {
		add("pa: PostgreSQL req/s vs reference (warm cache, one replica)", ">= 0.80x", fmt.Sprintf("%.2fx (%.0f / %.0f)", pa.Ratio, pa.Product.RPS, pa.Ref.RPS), pa.Ratio, 0.8, true)
	}
	// Reported next to SQLite's, no target of their own.
	if pb, b := sc["pb"], sc["b"]; pb != nil && b != nil {
		x := pb.Product.RPS / b.Product.RPS
		add("pb vs b: cache-miss verify, PostgreSQL vs SQLite", "reported", fmt.Sprintf("%.2fx (%.0f / %.0f req/s)", x, pb.Product.RPS, b.Product.RPS), x, 0, true)
	}
	if pe, e := sc["pe"], sc["e"]; pe != nil && e != nil {
		x := pe.Product.RPS / e.Product.RPS
		add("pe vs e: logins/s, PostgreSQL vs SQLite", "reported", fmt.Sprintf("%.2fx (%.1f / %.1f logins/s)", x, pe.Product.RPS, e.Product.RPS), x, 0, true)
	}
	if v := metaNum(meta, "coldstart", "idle_rss_kb"); v > 0 {
		add("idle RSS", "<= 40 MiB", mib(v), v/1024, 40, false)
	}
	if v := metaNum(meta, "coldstart", "cold_start_ms_median"); v > 0 {
		add("cold start to /healthz 200 (existing db)", "<= 100 ms", fmt.Sprintf("%.1f ms (median of 5)", v), v, 100, false)
	}
	return ts
}

func us(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f s", v/1e6)
	case v >= 1000:
		return fmt.Sprintf("%.2f ms", v/1000)
	}
	return fmt.Sprintf("%.0f µs", v)
}

func mib(kb float64) string { return fmt.Sprintf("%.1f MiB", kb/1024) }

func printTable(w io.Writer, scen []*Scenario, ts []Target, meta map[string]any) {
	fmt.Fprintf(w, "\nwrk %v, %v rounds, medians; server --log-level warn\n\n", meta["wrk_args"], meta["rounds"])
	fmt.Fprintln(w, "| scenario | product req/s | reference req/s | ratio | p50 | p99 | ref p99 | server CPU/req | peak RSS |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range scen {
		fmt.Fprintf(w, "| %s. %s | %.0f | %.0f | %.2fx | %s | %s | %s | %.0f µs | %s |\n",
			s.Name, s.Title, s.Product.RPS, s.Ref.RPS, s.Ratio, us(s.Product.P50us), us(s.Product.P99us),
			us(s.Ref.P99us), s.Product.CPUusReq, mib(s.Product.PeakHWMKB))
	}
	if f2 := findScen(scen, "f2"); f2 != nil && f2.Product.SweptRows > 0 {
		fmt.Fprintf(w, "\nf2: the sweeper deleted a median of %.0f expired rows during each run (%.0f rows/s).\n",
			f2.Product.SweptRows, f2.Product.SweptPerS)
	}
	if e := findScen(scen, "e"); e != nil {
		if rate := metaNum(meta, "hash", "parallel_hashes_per_s"); rate > 0 {
			fmt.Fprintf(w, "\ne: argon2id alone (no HTTP, no database), %g goroutines at once: %.1f hashes/s (%.1f ms each); one at a time: %.1f ms. The login flood reached %.0f%% of the parallel hash rate.\n",
				metaNum(meta, "hash", "parallel"), rate, metaNum(meta, "hash", "parallel_ms_per_hash_per_goroutine"),
				metaNum(meta, "hash", "hash_ms_median"), 100*e.Product.RPS/rate)
		}
	}
	fmt.Fprintln(w, "\n| target | want | measured | result |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, t := range ts {
		res := "PASS"
		if !t.Pass {
			res = "**FAIL**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", t.Name, t.Want, t.Measured, res)
	}
}

func findScen(scen []*Scenario, name string) *Scenario {
	for _, s := range scen {
		if s.Name == name {
			return s
		}
	}
	return nil
}
