package djimport_test

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	"notechondria-auth/djimport"
)

// Open refuses, with a message that says what is wrong and never the
// password, a URL that is not PostgreSQL's, a server that does not answer,
// and a database that is not a 0.1.65 Django one.
func TestOpen_Errors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	// A database of the cluster with the right role, but not a Django one.
	withSecret := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(u.User.Username(), "hunter2-secret")
		return u.String()
	}
	django := func(mutate string) string {
		dj := newDjango(t)
		if mutate != "" {
			dj.Exec(mutate)
		}
		return dj.URL
	}
	for _, c := range []struct {
		name   string
		url    func() string
		is     error
		schema []string // the missing items of a *SchemaError
		want   string   // in the message
	}{
		{name: "another scheme", url: func() string { return "mysql://django:hunter2-secret@db/notechondria" },
			is: djimport.ErrBadURL, want: "not a PostgreSQL connection string"},
		{name: "unparsable URL", url: func() string { return "postgres://django:hunter2-secret@db:port/x" },
			is: djimport.ErrBadURL, want: "want postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"},
		{name: "key=value garbage", url: func() string { return "host=db password='hunter2-secret" },
			is: djimport.ErrBadURL, want: "not a PostgreSQL connection string"},
		{name: "nobody listening", url: func() string {
			return fmt.Sprintf("postgres://django:hunter2-secret@127.0.0.1:%d/notechondria", closedPort)
		}, want: fmt.Sprintf("connect to the Django database django@127.0.0.1:%d/notechondria: ", closedPort) +
			"failed to connect to `user=django database=notechondria`: 127.0.0.1:"},
		{name: "no such database", url: func() string {
			u, _ := url.Parse(withSecret(cluster.Database(t)))
			u.Path = "/no_such_db"
			return u.String()
		}, want: "connect to the Django database"},
		{name: "empty database", url: func() string { return cluster.Database(t) },
			schema: []string{"table auth_user", "table creators_creator", "table creators_invitationcode",
				"table creators_session", "table creators_socialaccount", "table creators_verificationcode"},
			want: "is not a Notechondria 0.1.65 Django database: missing table auth_user, "},
		{name: "before migration 0028", url: func() string { return django(`DROP TABLE creators_session`) },
			schema: []string{"table creators_session"}, want: "missing table creators_session (migrate the Django project to 0.1.65 first"},
		{name: "Creator without API keys", url: func() string {
			return django(`ALTER TABLE creators_creator DROP COLUMN api_key_hash, DROP COLUMN api_key_prefix`)
		}, schema: []string{"column creators_creator.api_key_hash", "column creators_creator.api_key_prefix"},
			want: "missing column creators_creator.api_key_hash, column creators_creator.api_key_prefix"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, err := djimport.Open(t.Context(), c.url())
			if err == nil {
				src.Close()
				t.Fatal("opened")
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || strings.Contains(msg, "hunter2") || strings.Contains(msg, "\n") {
				t.Fatalf("message %q, want it to contain %q and no password", msg, c.want)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("error %v is not %v", err, c.is)
			}
			var se *djimport.SchemaError
			if c.schema != nil && (!errors.As(err, &se) || strings.Join(se.Missing, ",") != strings.Join(c.schema, ",")) {
				t.Fatalf("schema error %#v, want missing %v", err, c.schema)
			}
		})
	}
}

// A database that has the tables imports, with or without rows; the
// source names itself without the password.
func TestOpen_EmptyDjangoDatabase(t *testing.T) {
	dj := newDjango(t)
	src, err := djimport.Open(t.Context(), dj.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if s := src.String(); !strings.Contains(s, "@127.0.0.1:") || strings.Contains(s, "password") {
		t.Errorf("source %q", s)
	}
	rep, err := src.Import(t.Context(), newTarget(t), djimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, nil)
}
