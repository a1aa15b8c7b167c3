package db_test

import (
	"os"
	"testing"

	"notechondria-auth/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }
