// Package store is the gorm adapter: PostgreSQL in tests and production,
// SQLite (pure Go) as the embedded dev default, both migrated by the same
// versioned SQL migrations. Storage errors are translated here into domain
// errors: a unique violation is ECONFLICT, a missing row ENOTFOUND, a lost
// connection EUNAVAILABLE.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"careconnect/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialects.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Store is the application database.
type Store struct {
	db      *gorm.DB
	dialect string
}

// Open connects to PostgreSQL when url is set, else to the SQLite file at
// sqlitePath (created with its directory if missing).
func Open(ctx context.Context, url, sqlitePath string) (*Store, error) {
	gcfg := &gorm.Config{Logger: logger.Discard, TranslateError: true, NowFunc: func() time.Time { return time.Now().UTC() }}
	var (
		db      *gorm.DB
		err     error
		dialect string
	)
	if url != "" {
		dialect = Postgres
		db, err = gorm.Open(postgres.Open(url), gcfg)
	} else {
		dialect = SQLite
		if dir := filepath.Dir(sqlitePath); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("store: %w", err)
			}
		}
		// WAL and a busy timeout let the API and the worker share the file.
		dsn := "file:" + sqlitePath + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)"
		db, err = gorm.Open(sqlite.Open(dsn), gcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	s := &Store{db: db, dialect: dialect}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if dialect == SQLite {
		sqlDB.SetMaxOpenConns(1)
	} else {
		sqlDB.SetMaxOpenConns(20)
		// Keep as many idle as may be open: database/sql keeps only 2 by
		// default, so under concurrency every other query opened (and
		// PostgreSQL forked) a new connection (bench/, docs/bench.md).
		sqlDB.SetMaxIdleConns(20)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := s.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// Pool bounds the PostgreSQL connection pool (config.Database).
type Pool struct {
	MaxOpen     int
	MaxIdle     int
	MaxLifetime time.Duration // 0: forever
	MaxIdleTime time.Duration // 0: forever
}

// SetPool applies p to the PostgreSQL pool. SQLite keeps its one
// connection: the file takes one writer at a time.
func (s *Store) SetPool(p Pool) error {
	if s.dialect != Postgres {
		return nil
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	sqlDB.SetMaxOpenConns(p.MaxOpen)
	sqlDB.SetMaxIdleConns(p.MaxIdle)
	sqlDB.SetConnMaxLifetime(p.MaxLifetime)
	sqlDB.SetConnMaxIdleTime(p.MaxIdleTime)
	return nil
}

// Dialect is Postgres or SQLite.
func (s *Store) Dialect() string { return s.dialect }

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.migrations()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// migrations is the goose provider of the embedded migrations for s.
func (s *Store) migrations() (*goose.Provider, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	gd := goose.DialectPostgres
	if s.dialect == SQLite {
		gd = goose.DialectSQLite3
	}
	// Versions 4, 21, 24 and 40 are Go: their statements differ by dialect
	// (addressPrefixIndex, timestamptz, streetKeyColumn, pendingMemberships).
	p, err := goose.NewProvider(gd, sqlDB, mustSub(migrations, "migrations"),
		goose.WithGoMigrations(addressPrefixIndex(s.dialect), timestamptz(s.dialect), streetKeyColumn(s.dialect),
			pendingMemberships(s.dialect)))
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return p, nil
}

// Ping checks the connection.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(ctx); err != nil {
		return translate(err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// translate maps storage errors to domain errors; others pass through wrapped.
func translate(err error) error {
	var pgErr *pgconn.PgError
	var netErr net.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound), errors.Is(err, sql.ErrNoRows):
		return &domain.Error{Code: domain.ENOTFOUND, Message: "not found"}
	case errors.Is(err, gorm.ErrDuplicatedKey), strings.Contains(err.Error(), "UNIQUE constraint failed"):
		return &domain.Error{Code: domain.ECONFLICT, Message: "already exists"}
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		return &domain.Error{Code: domain.ECONFLICT, Message: "already exists"}
	case errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "08"), // connection exception
		errors.As(err, &pgErr) && (pgErr.Code == "57P01" || pgErr.Code == "57P03"), // admin shutdown, cannot connect now
		errors.As(err, &netErr), pgconn.SafeToRetry(err), isConnectError(err),
		errors.Is(err, context.DeadlineExceeded),
		// A migration changed a column's type under a prepared statement
		// (timestamptz): pgx has dropped the statement, so a retry works.
		errors.As(err, &pgErr) && pgErr.Code == "0A000" && strings.Contains(pgErr.Message, "cached plan"):
		return fmt.Errorf("%w: %v", &domain.Error{Code: domain.EUNAVAILABLE, Message: "the database is unavailable; try again shortly"}, err)
	}
	return fmt.Errorf("store: %w", err)
}

func isConnectError(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || strings.Contains(err.Error(), "connection refused") || errors.Is(err, sql.ErrConnDone)
}
