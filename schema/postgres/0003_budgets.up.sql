-- The rate limits of docs/SECURITY.md ("Budgets"), shared by every replica
-- on this database (db/budget.go). One row per budget and key: tat is the
-- key's theoretical arrival time of the generic cell rate algorithm, in
-- microseconds since the epoch, exactly as throttle/throttle.go keeps it in
-- memory on SQLite. A row whose tat is not after now is a key back at its
-- full budget, the same as no row; the sweeper deletes such rows.
-- key is BYTEA: limiter keys carry client-supplied text (identifiers,
-- addresses) that need not be valid UTF-8.
CREATE TABLE budgets (
    name TEXT   NOT NULL,
    key  BYTEA  NOT NULL,
    tat  BIGINT NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE INDEX budgets_expiry ON budgets (name, tat);
