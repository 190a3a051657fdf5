// Package storetest gives each test its own migrated database: a fresh
// PostgreSQL database (dropped afterwards) or a fresh SQLite file.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"careconnect/store"
)

// EnvDatabaseURL names the PostgreSQL admin URL tests create databases through.
const EnvDatabaseURL = "CARECONNECT_TEST_DATABASE_URL"

// DefaultAdminURL is used when EnvDatabaseURL is unset: the local trust-auth server.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL returns the PostgreSQL URL tests create their databases through.
func AdminURL() string {
	if u := os.Getenv(EnvDatabaseURL); u != "" {
		return u
	}
	return DefaultAdminURL
}

// NewPostgresURL creates an empty database for t, dropped when t ends, and
// returns its URL. PostgreSQL is mandatory: when it is unreachable the test fails.
func NewPostgresURL(t testing.TB) string {
	t.Helper()
	admin := AdminURL()
	db, err := gorm.Open(postgres.Open(admin), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("storetest: PostgreSQL at %s is required (run scripts/ensure-postgres.sh): %v", redact(admin), err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "cc_test_" + hex.EncodeToString(b)
	if err := db.Exec("CREATE DATABASE " + name).Error; err != nil {
		_ = sqlDB.Close()
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		_ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error
		_ = sqlDB.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// Dialects lists the databases every store test runs on.
var Dialects = []string{store.Postgres, store.SQLite}

// New returns a migrated store of the given dialect for t, closed when t ends.
func New(t testing.TB, dialect string) *store.Store {
	t.Helper()
	var pgURL string
	if dialect == store.Postgres {
		pgURL = NewPostgresURL(t)
	}
	return open(t, dialect, pgURL)
}

// NewPostgres is New(t, store.Postgres) that also returns the database's
// URL, for tests that reach past the store (see Analyze).
func NewPostgres(t testing.TB) (*store.Store, string) {
	t.Helper()
	pgURL := NewPostgresURL(t)
	return open(t, store.Postgres, pgURL), pgURL
}

// Analyze refreshes PostgreSQL's planner statistics of the database at
// url, as autovacuum would in its own time, so that plans and timings
// right after a bulk seed are those of a settled database.
func Analyze(t testing.TB, pgURL string) {
	t.Helper()
	db, err := gorm.Open(postgres.Open(pgURL), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("storetest: analyze: %v", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if err := db.Exec("ANALYZE").Error; err != nil {
		t.Fatalf("storetest: analyze: %v", err)
	}
}

func open(t testing.TB, dialect, pgURL string) *store.Store {
	t.Helper()
	var sqlitePath string
	if dialect != store.Postgres {
		sqlitePath = filepath.Join(t.TempDir(), "careconnect.db")
	}
	s, err := store.Open(context.Background(), pgURL, sqlitePath)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("storetest: migrate %s: %v", dialect, err)
	}
	return s
}

// ForEach runs f as a subtest on every dialect, each with its own database.
func ForEach(t *testing.T, f func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) { f(t, New(t, d)) })
	}
}
