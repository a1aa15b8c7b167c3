package app_test

import (
	"os"
	"testing"

	"notechondria-auth/internal/testdb"
)

// TestMain stops the PostgreSQL cluster of NTC_TEST_ENGINE=postgres runs.
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }
