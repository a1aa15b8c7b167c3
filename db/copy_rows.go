package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"

	"notechondria-auth/app"
)

// colKind is how Copy reads, writes and hashes a column: the stored
// representations are the same on both engines (INTEGER/BIGINT numbers and
// 0/1 flags, TEXT/CITEXT, BLOB/BYTEA), so three kinds cover every column.
type colKind byte

const (
	kindInt  colKind = 'i'
	kindText colKind = 't'
	kindBlob colKind = 'b'
)

// column is one column of a table as a schema declares it.
type column struct {
	name string
	kind colKind
}

// tablePlan is a table Copy moves with the columns both schemas agree on.
type tablePlan struct {
	copyTable
	cols     []column
	keyIndex int // position of the key among cols
}

// copyPlan reads both schemas and checks them against copyTables: every
// table either copied or deliberately not, and each copied table with the
// same columns of the same kinds on both sides. Errors: EINVALID naming
// what differs.
func copyPlan(ctx context.Context, src, dst *txn) ([]tablePlan, error) {
	from, err := schemaColumns(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("db: read the source's schema: %w", err)
	}
	to, err := schemaColumns(ctx, dst)
	if err != nil {
		return nil, fmt.Errorf("db: read the target's schema: %w", err)
	}
	known := map[string]bool{}
	var plan []tablePlan
	for _, t := range copyTables() {
		known[t.name] = true
		p := tablePlan{copyTable: t, cols: from[t.name], keyIndex: -1}
		if err := sameColumns(t.name, from[t.name], to[t.name]); err != nil {
			return nil, err
		}
		for i, c := range p.cols {
			if c.name == t.key {
				p.keyIndex = i
			}
		}
		if p.keyIndex < 0 || (t.serial && p.cols[p.keyIndex].kind != kindInt) {
			return nil, app.Errorf(app.EINVALID, "table %s has no usable key column %s", t.name, t.key)
		}
		plan = append(plan, p)
	}
	for _, s := range []map[string][]column{from, to} {
		for name := range s {
			if !known[name] && !notCopied(name) {
				return nil, app.Errorf(app.EINVALID, "table %s is not known to this binary's copy (a schema from a newer binary?): nothing was written", name)
			}
		}
	}
	return plan, nil
}

// sameColumns checks that both schemas give table the same columns.
func sameColumns(table string, from, to []column) error {
	if len(from) == 0 || len(to) == 0 {
		return app.Errorf(app.EINVALID, "table %s is missing from the source or the target schema", table)
	}
	kinds := map[string]colKind{}
	for _, c := range to {
		kinds[c.name] = c.kind
	}
	for _, c := range from {
		if c.kind == 0 {
			return app.Errorf(app.EINVALID, "column %s.%s has a type this binary's copy does not know", table, c.name)
		}
		k, ok := kinds[c.name]
		if !ok || k != c.kind {
			return app.Errorf(app.EINVALID, "column %s.%s differs between the source and the target schema", table, c.name)
		}
	}
	if len(from) != len(to) {
		return app.Errorf(app.EINVALID, "table %s has different columns in the source and the target schema", table)
	}
	return nil
}

// schemaColumns lists every table of tx's database with its columns in
// declaration order.
func schemaColumns(ctx context.Context, tx *txn) (map[string][]column, error) {
	q := `SELECT m.name, p.name, p.type FROM sqlite_master AS m, pragma_table_info(m.name) AS p
		WHERE m.type = 'table' ORDER BY m.name, p.cid`
	if tx.d.engine == Postgres {
		q = `SELECT c.table_name, c.column_name, CASE WHEN c.data_type = 'USER-DEFINED' THEN c.udt_name ELSE c.data_type END
			FROM information_schema.columns AS c JOIN information_schema.tables AS t
			  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
			WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
			ORDER BY c.table_name, c.ordinal_position`
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]column{}
	for rows.Next() {
		var table, name, typ string
		if err := rows.Scan(&table, &name, &typ); err != nil {
			return nil, err
		}
		out[table] = append(out[table], column{name: name, kind: kindOf(typ)})
	}
	return out, rows.Err()
}

// kindOf maps a declared type to its kind (0: none Copy knows).
func kindOf(typ string) colKind {
	switch strings.ToLower(typ) {
	case "integer", "bigint", "smallint":
		return kindInt
	case "text", "citext":
		return kindText
	case "blob", "bytea":
		return kindBlob
	}
	return 0
}

// scanTable reads table t through tx in key order, hashes every row and
// hands each row's values (sql.NullInt64, sql.NullString or []byte/nil, by
// kind) to each, when set. It returns the row count and the hex checksum.
func scanTable(ctx context.Context, tx *txn, t tablePlan, each func(vals []any) error) (int64, string, error) {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.name
	}
	order := t.key
	if tx.d.engine == Postgres && t.cols[t.keyIndex].kind == kindText {
		order += ` COLLATE "C"` // byte order, as SQLite's BINARY collation
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+t.name+` ORDER BY `+order)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	h := sha256.New()
	var n int64
	dest := make([]any, len(t.cols))
	for rows.Next() {
		for i, c := range t.cols {
			switch c.kind {
			case kindInt:
				dest[i] = new(sql.NullInt64)
			case kindText:
				dest[i] = new(sql.NullString)
			default:
				dest[i] = new(any)
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return n, "", fmt.Errorf("row %d: %w", n+1, err)
		}
		vals := make([]any, len(dest))
		for i, d := range dest {
			vals[i] = value(d)
			hashValue(h, vals[i])
		}
		n++
		if each != nil {
			if err := each(vals); err != nil {
				return n, "", err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// value is a scanned column as Copy writes it.
func value(dest any) any {
	switch d := dest.(type) {
	case *sql.NullInt64:
		return *d
	case *sql.NullString:
		return *d
	}
	switch v := (*dest.(*any)).(type) {
	case nil:
		return []byte(nil)
	case string:
		return []byte(v)
	case []byte:
		return v
	default:
		return []byte(fmt.Sprint(v))
	}
}

// hashValue feeds one value into h, tagged by kind and length-prefixed, so
// that no two different rows encode alike.
func hashValue(h hash.Hash, v any) {
	var buf [binary.MaxVarintLen64 + 1]byte
	put := func(tag byte, b []byte) {
		buf[0] = tag
		n := binary.PutUvarint(buf[1:], uint64(len(b)))
		h.Write(buf[:1+n])
		h.Write(b)
	}
	switch v := v.(type) {
	case sql.NullInt64:
		if !v.Valid {
			h.Write([]byte{'n'})
			return
		}
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(v.Int64))
		put('i', b[:])
	case sql.NullString:
		if !v.Valid {
			h.Write([]byte{'n'})
			return
		}
		put('t', []byte(v.String))
	case []byte:
		if v == nil {
			h.Write([]byte{'n'})
			return
		}
		put('b', v)
	}
}

// inserter writes rows in multi-row INSERTs (one round trip per batch
// matters on PostgreSQL).
type inserter struct {
	tx    *txn
	t     tablePlan
	per   int // rows per full batch
	batch []any
	rows  int
	full  *sql.Stmt
}

// maxParams bounds the placeholders of one statement (SQLite allows 32766,
// PostgreSQL 65535).
const maxParams = 1000

func newInserter(tx *txn, t tablePlan) *inserter {
	return &inserter{tx: tx, t: t, per: max(1, maxParams/len(t.cols))}
}

// insertSQL is the INSERT of n rows.
func (in *inserter) insertSQL(n int) string {
	names := make([]string, len(in.t.cols))
	for i, c := range in.t.cols {
		names[i] = c.name
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(names)), ",") + ")"
	return `INSERT INTO ` + in.t.name + ` (` + strings.Join(names, ", ") + `) VALUES ` +
		strings.TrimSuffix(strings.Repeat(row+",", n), ",")
}

func (in *inserter) add(ctx context.Context, vals []any) error {
	in.batch = append(in.batch, vals...)
	if in.rows++; in.rows < in.per {
		return nil
	}
	if in.full == nil {
		s, err := in.tx.PrepareContext(ctx, in.insertSQL(in.per))
		if err != nil {
			return err
		}
		in.full = s
	}
	return in.exec(ctx, in.full)
}

// flush writes the rows of a last, partial batch.
func (in *inserter) flush(ctx context.Context) error {
	if in.rows == 0 {
		return nil
	}
	s, err := in.tx.PrepareContext(ctx, in.insertSQL(in.rows))
	if err != nil {
		return err
	}
	defer s.Close()
	return in.exec(ctx, s)
}

func (in *inserter) exec(ctx context.Context, s *sql.Stmt) error {
	if _, err := s.ExecContext(ctx, in.batch...); err != nil {
		return fmt.Errorf("rows with %s %s: %w", in.t.key, in.keyRange(), err)
	}
	in.batch, in.rows = in.batch[:0], 0
	return nil
}

// keyRange names the keys of the pending batch, for an error message.
func (in *inserter) keyRange() string {
	var keys []string
	for i := in.t.keyIndex; i < len(in.batch); i += len(in.t.cols) {
		switch v := in.batch[i].(type) {
		case sql.NullInt64:
			keys = append(keys, fmt.Sprint(v.Int64))
		case sql.NullString:
			keys = append(keys, fmt.Sprintf("%q", v.String))
		}
	}
	if len(keys) > 2 {
		return keys[0] + " to " + keys[len(keys)-1]
	}
	return strings.Join(keys, ", ")
}

func (in *inserter) close() {
	if in.full != nil {
		in.full.Close()
	}
}
