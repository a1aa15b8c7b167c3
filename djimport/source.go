package djimport

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"notechondria-auth/internal/pgsql"
)

// connectTimeout bounds the connection attempt when the URL sets no
// connect_timeout: an unreachable host should fail, not hang.
const connectTimeout = 15 * time.Second

// Source is an open Django database whose schema has been checked.
type Source struct {
	db   *sql.DB
	desc string
}

// ErrBadURL is the error of a --from value that is not a PostgreSQL
// connection string. Its text never repeats the value, which may hold a
// password.
var ErrBadURL = errors.New("the Django database URL is not a PostgreSQL connection string " +
	"(want postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE, or key=value settings such as \"host=... dbname=...\")")

// SchemaError says why a database is not a Notechondria 0.1.65 one: the
// tables and columns the import needs that it lacks.
type SchemaError struct {
	Desc    string   // which database
	Missing []string // "table creators_session", "column creators_creator.api_key_hash"
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("%s is not a Notechondria 0.1.65 Django database: missing %s "+
		"(migrate the Django project to 0.1.65 first, or check --from)", e.Desc, strings.Join(e.Missing, ", "))
}

// requiredColumns lists, per table, the columns the import reads
// (CONTRACT 2).
func requiredColumns() map[string][]string {
	return map[string][]string{
		"auth_user": {"id", "username", "email", "password", "first_name", "last_name", "is_active",
			"is_staff", "is_superuser", "date_joined"},
		"creators_creator": {"id", "user_id", "image", "motto", "social_link", "editor_mode", "theme_preset",
			"theme_mode", "api_base_url", "api_key_hash", "api_key_prefix", "app_settings_json",
			"app_settings_updated_at"},
		"creators_session": {"id", "user_id", "key", "device_label", "user_agent", "ip_hash", "created_at",
			"last_seen_at", "revoked_at"},
		"creators_verificationcode": {"id", "code", "expire_date", "usage", "function", "max_use"},
		"creators_invitationcode":   {"id", "code_hash", "label", "max_uses", "times_used", "expire_date", "created_at"},
		"creators_socialaccount":    {"id", "user_id", "provider", "provider_uid", "email", "extra_data", "created_at"},
	}
}

// Open connects to the Django database named by url (a postgres:// URL or
// a key=value connection string; PG* environment variables fill what it
// leaves out, as in psql) and checks that it has every table and column of
// CONTRACT section 2. Errors: ErrBadURL, a connection error naming the
// server (never the password), *SchemaError.
func Open(ctx context.Context, url string) (*Source, error) {
	if scheme, _, ok := strings.Cut(url, "://"); ok && scheme != "postgres" && scheme != "postgresql" {
		return nil, ErrBadURL
	}
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		return nil, ErrBadURL
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	src := &Source{db: sql.OpenDB(pgsql.ConnectorFor(cfg)), desc: describe(cfg)}
	src.db.SetMaxOpenConns(2)
	if err := src.db.PingContext(ctx); err != nil {
		src.db.Close()
		return nil, &connectError{desc: src.desc, err: err}
	}
	if err := src.checkSchema(ctx); err != nil {
		src.db.Close()
		return nil, err
	}
	return src, nil
}

// connectError is a failed connection on one line (pgx puts each address
// it tried on a line of its own).
type connectError struct {
	desc string
	err  error
}

func (e *connectError) Error() string {
	return "connect to the Django database " + e.desc + ": " + strings.Join(strings.Fields(e.err.Error()), " ")
}

func (e *connectError) Unwrap() error { return e.err }

// describe names the database without its password.
func describe(cfg *pgconn.Config) string {
	host := cfg.Host
	if !strings.HasPrefix(host, "/") {
		host = net.JoinHostPort(host, strconv.Itoa(int(cfg.Port)))
	}
	return fmt.Sprintf("%s@%s/%s", cfg.User, host, cfg.Database)
}

// String names the database (user@host:port/name, no password).
func (s *Source) String() string { return s.desc }

// Close closes the connections.
func (s *Source) Close() error { return s.db.Close() }

// checkSchema finds the required tables and columns in the schemas on the
// search path.
func (s *Source) checkSchema(ctx context.Context) error {
	required := requiredColumns()
	tables := make([]string, 0, len(required))
	for t := range required {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	// The driver sends scalars only: one placeholder per table name.
	args := make([]any, len(tables))
	marks := make([]string, len(tables))
	for i, t := range tables {
		args[i], marks[i] = t, "$"+strconv.Itoa(i+1)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = ANY (current_schemas(false)) AND table_name IN (`+strings.Join(marks, ",")+`)`, args...)
	if err != nil {
		return fmt.Errorf("read the schema of %s: %w", s.desc, err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return fmt.Errorf("read the schema of %s: %w", s.desc, err)
		}
		have[t] = true
		have[t+"."+c] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the schema of %s: %w", s.desc, err)
	}
	var missing []string
	for _, t := range tables {
		if !have[t] {
			missing = append(missing, "table "+t)
			continue
		}
		for _, c := range required[t] {
			if !have[t+"."+c] {
				missing = append(missing, "column "+t+"."+c)
			}
		}
	}
	if len(missing) > 0 {
		return &SchemaError{Desc: s.desc, Missing: missing}
	}
	return nil
}
