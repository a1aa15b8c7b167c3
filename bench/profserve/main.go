// Command profserve runs `notechondria-auth serve` in this process under the
// Go profiler, so a load test with wrk can be profiled end to end (the
// product binary carries no net/http/pprof on purpose). Profiles are written
// when the server stops (SIGINT/SIGTERM).
//
//	go build -o /tmp/profserve ./bench/profserve
//	/tmp/profserve -cpuprofile cpu.prof -mutexprofile mutex.prof -- --addr 127.0.0.1:18091 --db run.db --cache-size 0 --log-level warn
//	wrk -t2 -c64 -d10s -H "Authorization: Token $TOKEN" http://127.0.0.1:18091/api/v1/auth/verify/
//	kill %1; go tool pprof -top /tmp/profserve cpu.prof
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"

	"notechondria-auth/cli"
)

func main() {
	cpu := flag.String("cpuprofile", "", "write a CPU profile here")
	mem := flag.String("memprofile", "", "write an allocation profile here")
	mutex := flag.String("mutexprofile", "", "write a mutex contention profile here")
	block := flag.String("blockprofile", "", "write a blocking profile here")
	flag.Parse()
	if *mutex != "" {
		runtime.SetMutexProfileFraction(5)
	}
	if *block != "" {
		runtime.SetBlockProfileRate(10000) // one event per 10 µs blocked
	}
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, cli.Env{Args: append([]string{"serve"}, flag.Args()...), Getenv: os.Getenv,
		Stdout: os.Stdout, Stderr: os.Stderr, Build: cli.Build{Version: "profserve"}})
	stop()
	if *cpu != "" {
		pprof.StopCPUProfile()
	}
	for name, path := range map[string]string{"allocs": *mem, "mutex": *mutex, "block": *block} {
		if path == "" {
			continue
		}
		f, err := os.Create(path)
		if err != nil {
			fail(err)
		}
		if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
			fail(err)
		}
		f.Close()
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "profserve:", err)
	os.Exit(1)
}
