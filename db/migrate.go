package db

import (
	"errors"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"notechondria-auth/schema"
)

// migrateUp applies the engine's pending embedded migrations through drv
// (golang-migrate; its PostgreSQL driver holds an advisory lock meanwhile,
// so replicas starting together migrate once). closeConn runs when a
// driver could not be wrapped; otherwise closing m closes the connection.
func migrateUp(e Engine, drv database.Driver, closeConn func()) error {
	src, err := iofs.New(schema.Migrations, string(e))
	if err != nil {
		closeConn()
		return fmt.Errorf("db: migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, string(e), drv)
	if err != nil {
		closeConn()
		return fmt.Errorf("db: migrate: %w", err)
	}
	defer m.Close() // closes the connection too
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("db: migrate up: %w", err)
	}
	return nil
}

// LatestVersion is the number of the newest embedded SQLite migration.
func LatestVersion() (uint, error) { return latestVersion(SQLite) }

// LatestVersionOf is the number of engine e's newest embedded migration.
func LatestVersionOf(e Engine) (uint, error) { return latestVersion(e) }

// latestVersion is the number of the engine's newest embedded migration.
func latestVersion(e Engine) (uint, error) {
	src, err := iofs.New(schema.Migrations, string(e))
	if err != nil {
		return 0, err
	}
	defer src.Close()
	v, err := src.First()
	if err != nil {
		return 0, err
	}
	for {
		next, err := src.Next(v)
		if err != nil {
			return v, nil
		}
		v = next
	}
}
