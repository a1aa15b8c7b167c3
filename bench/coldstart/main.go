// Command coldstart measures how long the server takes from exec to the
// first 200 from /healthz on an existing database, and its idle RSS.
//
//	coldstart -n 5 -url http://127.0.0.1:18091/healthz -idle 2s -- bin/notechondria-auth serve ...
//
// Each trial starts the command, polls the URL every 500 µs (a refused
// connection costs microseconds), records the elapsed time, then for the
// last trial waits -idle and reads VmRSS/VmHWM from /proc/<pid>/status.
// Prints one JSON object.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 5, "trials")
	url := flag.String("url", "", "health URL")
	idle := flag.Duration("idle", 2*time.Second, "wait before reading the idle RSS")
	flag.Parse()
	argv := flag.Args()
	if *url == "" || len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "usage: coldstart -url URL -- command args...")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 200 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	var ms []float64
	out := map[string]any{}
	for trial := range *n {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		start := time.Now()
		if err := cmd.Start(); err != nil {
			fail(err)
		}
		up := false
		for time.Since(start) < 10*time.Second {
			resp, err := client.Get(*url)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					up = true
					break
				}
			}
			time.Sleep(500 * time.Microsecond)
		}
		elapsed := time.Since(start)
		if !up {
			cmd.Process.Kill()
			cmd.Wait()
			fail(fmt.Errorf("no 200 from %s within 10s", *url))
		}
		ms = append(ms, float64(elapsed.Microseconds())/1000)
		if trial == *n-1 {
			time.Sleep(*idle)
			st := status(cmd.Process.Pid)
			out["idle_rss_kb"], out["idle_hwm_kb"] = st["VmRSS"], st["VmHWM"]
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	sorted := append([]float64(nil), ms...)
	sort.Float64s(sorted)
	out["cold_start_ms"] = ms
	out["cold_start_ms_median"] = sorted[len(sorted)/2]
	json.NewEncoder(os.Stdout).Encode(out)
}

// status returns the kB fields of /proc/pid/status.
func status(pid int) map[string]int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		fail(err)
	}
	defer f.Close()
	m := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if f := strings.Fields(v); ok && len(f) == 2 && f[1] == "kB" {
			m[k], _ = strconv.ParseInt(f[0], 10, 64)
		}
	}
	return m
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "coldstart:", err)
	os.Exit(1)
}
