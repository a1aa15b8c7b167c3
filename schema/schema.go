// Package schema embeds the SQL migrations of notechondria-auth, one folder
// per engine (sqlite/, postgres/).
//
// Migrations are golang-migrate pairs (NNNN_name.up.sql / .down.sql). They are
// append-only: a released migration is never edited, a change is a new pair.
package schema

import "embed"

// Migrations holds every migration file under its engine's folder; db.Open applies them through
// golang-migrate's iofs source.
//
//go:embed sqlite/*.sql postgres/*.sql
var Migrations embed.FS
