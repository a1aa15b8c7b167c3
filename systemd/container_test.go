package systemd_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// No Docker engine exists on the build machines, so the image cannot be
// built here. These checks hold the Dockerfile to what docs/OPERATIONS.md
// (Northflank section) and the Makefile rely on.

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	tests := []struct {
		name    string
		pattern string
	}{
		{"build stage on the Go image", `(?m)^FROM golang:\$\{GO_VERSION\}-bookworm AS build$`},
		{"Go version 1.26", `(?m)^ARG GO_VERSION=1\.26$`},
		{"builds with the Makefile's own command", `(?m)^RUN make build VERSION="\$\{VERSION\}"`},
		{"static distroless runtime, non-root", `(?m)^FROM gcr\.io/distroless/static-debian12:nonroot$`},
		{"numeric non-root user", `(?m)^USER 65532:65532$`},
		{"database on the volume", `NTC_DB=/data/auth\.db`},
		{"listens on all interfaces", `NTC_ADDR=0\.0\.0\.0:8080`},
		{"data volume", `(?m)^VOLUME \["/data"\]$`},
		{"volume owned by the runtime user", `COPY --from=build --chown=65532:65532 /out/data /data`},
		{"port", `(?m)^EXPOSE 8080$`},
		{"self health check", `CMD \["/notechondria-auth", "healthcheck"\]`},
		{"binary as entrypoint", `(?m)^ENTRYPOINT \["/notechondria-auth"\]$`},
		{"serves by default", `(?m)^CMD \["serve"\]$`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !regexp.MustCompile(tc.pattern).MatchString(df) {
				t.Errorf("Dockerfile does not match %s", tc.pattern)
			}
		})
	}
	if strings.Contains(df, "--mount=") {
		t.Error("Dockerfile uses RUN --mount, which Kaniko-style builders reject")
	}
}

func TestDockerignoreKeepsSources(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	ignored := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			ignored[strings.TrimSuffix(line, "/")] = true
		}
	}
	tests := []struct {
		path        string
		wantIgnored bool
	}{
		{".git", true},
		{"bin", true},
		{"data", true},
		{"*.db", true},
		{"go.mod", false},
		{"go.sum", false},
		{"Makefile", false},
		{"*.go", false},
		{"schema", false},
		{"assets", false},
		{"app", false},
		{"db", false},
	}
	for _, tc := range tests {
		if ignored[tc.path] != tc.wantIgnored {
			t.Errorf(".dockerignore: %s ignored = %v, want %v", tc.path, ignored[tc.path], tc.wantIgnored)
		}
	}
}

func TestMakefileHasBuildTarget(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "Makefile"))
	if os.IsNotExist(err) {
		t.Skip("no Makefile yet; the Dockerfile runs `make build`")
	}
	if err != nil {
		t.Fatal(err)
	}
	mk := string(data)
	if !regexp.MustCompile(`(?m)^build:`).MatchString(mk) {
		t.Error("Makefile has no build target, but the Dockerfile runs `make build`")
	}
	if !strings.Contains(mk, "CGO_ENABLED=0") {
		t.Error("Makefile does not build with CGO_ENABLED=0; distroless/static needs a static binary")
	}
}
