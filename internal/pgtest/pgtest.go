// Package pgtest gives tests a real PostgreSQL server: a throwaway cluster
// made with initdb in a temporary directory and run as a child process of
// the test binary (as the postgres user when the tests run as root, since
// PostgreSQL refuses to run as root), stopped when the tests end and killed
// with them if they die. Each test gets a database of its own.
//
// NTC_TEST_POSTGRES_URL (a URL of a role that may CREATE DATABASE) uses an
// existing server instead. Without either, tests that need PostgreSQL fail
// with the command that installs it: no test silently skips an engine.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"notechondria-auth/internal/pgsql"
)

// Server is one running cluster.
type Server struct {
	// Admin is the URL of the superuser connection to database postgres.
	Admin string
	// Port and Dir locate the cluster (socket and data directory).
	Port int
	Dir  string
	cmd  *exec.Cmd
	mu   sync.Mutex
	n    int
}

// Cluster is the server of this test process.
type Cluster struct {
	once sync.Once
	srv  *Server
	err  error
}

// Start starts the cluster on first use and returns it.
func (c *Cluster) Start() (*Server, error) {
	c.once.Do(func() {
		if u := os.Getenv("NTC_TEST_POSTGRES_URL"); u != "" {
			c.srv = &Server{Admin: u}
			return
		}
		c.srv, c.err = startCluster()
	})
	return c.srv, c.err
}

// Stop stops the cluster if this process started it.
func (c *Cluster) Stop() {
	if c.srv != nil && c.srv.cmd != nil {
		c.srv.stop()
		c.srv.Remove()
	}
}

// Run is TestMain's body for a package that uses c: it runs the tests and
// stops the cluster afterwards.
func (c *Cluster) Run(m *testing.M) int {
	code := m.Run()
	c.Stop()
	return code
}

// Database creates an empty database for t (dropped at its end) and
// returns its URL.
func (c *Cluster) Database(t testing.TB) string {
	t.Helper()
	srv, err := c.Start()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return srv.Database(t)
}

// Database creates an empty database for t and returns its URL.
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	s.n++
	name := fmt.Sprintf("ntc_%d_%d", os.Getpid(), s.n)
	s.mu.Unlock()
	admin, err := pgsql.Open(s.Admin)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		a, err := pgsql.Open(s.Admin)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	return s.URL(name)
}

// URL is the connection URL of database name.
func (s *Server) URL(name string) string {
	u, err := url.Parse(s.Admin)
	if err != nil {
		return s.Admin
	}
	u.Path = "/" + name
	return u.String()
}

// binDir finds the directory of initdb and postgres.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(real), nil
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", errors.New("PostgreSQL server binaries (initdb, postgres) not found: install them with `apt-get install postgresql` (scripts/prereqs.sh does as root), or set NTC_TEST_POSTGRES_URL")
}

// credential runs the server as postgres when this process is root.
func credential() (*syscall.Credential, int, int, error) {
	if os.Geteuid() != 0 {
		return nil, -1, -1, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, 0, 0, fmt.Errorf("running as root and there is no postgres user to run the server as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid, gid, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startCluster() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, uid, gid, err := credential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ntc-pg-")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		return nil, err
	}
	if cred != nil {
		for _, p := range []string{dir, data} {
			if err := os.Chown(p, uid, gid); err != nil {
				return nil, err
			}
		}
	}
	run := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
		cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
		return cmd
	}
	if out, err := run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := run("postgres", "-D", data, "-p", strconv.Itoa(port), "-k", dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=64MB")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	srv := &Server{Admin: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), Port: port, Dir: dir, cmd: cmd}
	if err := srv.wait(30 * time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		srv.stop()
		return nil, fmt.Errorf("postgres did not start: %v: %s", err, log)
	}
	return srv, nil
}

func (s *Server) wait(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		db, err := pgsql.Open(s.Admin)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
			if err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Restart stops the server (fast shutdown: every connection is cut) and
// starts it again on the same port, for tests of reconnection. down runs
// while it is stopped.
func (s *Server) Restart(down func()) error {
	if s.cmd == nil {
		return errors.New("pgtest: cannot restart an external server")
	}
	args := s.cmd.Args[1:]
	path := s.cmd.Path
	attr := s.cmd.SysProcAttr
	out := s.cmd.Stdout
	s.stop()
	if down != nil {
		down()
	}
	cmd := exec.Command(path, args...)
	cmd.Dir, cmd.SysProcAttr, cmd.Stdout, cmd.Stderr = s.Dir, attr, out, out
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd = cmd
	return s.wait(30 * time.Second)
}

// stop asks for a fast shutdown and waits for it (keeps the data).
func (s *Server) stop() {
	s.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// Remove deletes the cluster's directory (after Stop).
func (s *Server) Remove() {
	if s.Dir != "" && strings.HasPrefix(filepath.Base(s.Dir), "ntc-pg-") {
		os.RemoveAll(s.Dir)
	}
}
