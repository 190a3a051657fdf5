package store_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/store/storetest"
)

func TestCalendarPush(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.LastCalendarPush(ctx, "q1"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("no push yet: got %v; want ENOTFOUND", err)
		}
		van, _ := time.LoadLocation("America/Vancouver")
		first := store.CalendarPush{TaskQueue: "q1", Fingerprint: "aaa",
			Calendar:  domain.Calendar{TimeZone: "America/Vancouver", Holidays: []string{"2026-07-01"}},
			Workflows: 3, PushedAt: time.Date(2026, 7, 2, 9, 30, 0, 0, van)}
		if err := s.SaveCalendarPush(ctx, first); err != nil {
			t.Fatal(err)
		}
		got, err := s.LastCalendarPush(ctx, "q1")
		if err != nil || got.Fingerprint != "aaa" || got.Workflows != 3 || !got.Calendar.Equal(first.Calendar) || !got.PushedAt.Equal(first.PushedAt) {
			t.Fatalf("LastCalendarPush = %+v, %v; want %+v", got, err, first)
		}
		// The next push replaces it; another task queue has its own.
		second := first
		second.Fingerprint, second.Calendar, second.Workflows = "bbb", domain.Calendar{Holidays: []string{}}, 0
		if err := s.SaveCalendarPush(ctx, second); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.LastCalendarPush(ctx, "q1"); got.Fingerprint != "bbb" || got.Workflows != 0 {
			t.Errorf("after the second push: %+v; want it replaced", got)
		}
		if _, err := s.LastCalendarPush(ctx, "q2"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("another task queue: got %v; want ENOTFOUND", err)
		}
	})
}

// mustRawPostgres opens the database at url outside the store.
func mustRawPostgres(t *testing.T, url string) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(postgres.Open(url), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	return db
}

// columnsOfType lists table.column of every column of type typ
// (information_schema's name) in the schema's tables, goose's aside.
func columnsOfType(t *testing.T, db *gorm.DB, typ string) []string {
	t.Helper()
	var cols []string
	err := db.Raw(`SELECT c.table_name || '.' || c.column_name FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.data_type = ?
		  AND c.table_name <> 'goose_db_version' ORDER BY 1`, typ).Scan(&cols).Error
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// Every time column in PostgreSQL is timestamptz: an instant, whatever
// the zone of the session that reads or writes it. A migration that adds
// a TIMESTAMP column (the type SQLite's driver reads as a time) must
// convert it for PostgreSQL.
func TestTimestampsAreTimestamptz(t *testing.T) {
	_, url := storetest.NewPostgres(t)
	db := mustRawPostgres(t, url)
	if naive := columnsOfType(t, db, "timestamp without time zone"); len(naive) != 0 {
		t.Errorf("columns without a time zone: %v; want every time column timestamptz", naive)
	}
	tz := columnsOfType(t, db, "timestamp with time zone")
	for _, want := range []string{"worksites.registered_at", "sessions.last_seen_at", "email_log.next_attempt_at", "calendar_pushes.pushed_at"} {
		found := false
		for _, c := range tz {
			found = found || c == want
		}
		if !found {
			t.Errorf("%s is not timestamptz (timestamptz columns: %v)", want, tz)
		}
	}
}

// The migration keeps every stored instant (the store wrote UTC), both
// ways, and a column's default means the same instant as before; in a
// session of another zone the instants read the same.
func TestTimestamptzMigrationKeepsInstants(t *testing.T) {
	ctx := context.Background()
	s, url := storetest.NewPostgres(t)
	// Registered with today's schema (CreateWorksite writes its columns), then taken back.
	w := mustCreate(t, s, registration("101"))
	if err := s.MigrateDownTo(ctx, 20); err != nil {
		t.Fatal(err)
	}
	db := mustRawPostgres(t, url)
	if naive := columnsOfType(t, db, "timestamp without time zone"); len(naive) == 0 {
		t.Fatal("before the migration: no timestamp columns; want the old schema")
	}
	van, _ := time.LoadLocation("America/Vancouver")
	at := time.Date(2026, 11, 2, 9, 15, 0, 0, van) // 17:15 UTC
	if err := db.Exec("UPDATE worksites SET registered_at = ? WHERE id = ?", at.UTC(), w.ID).Error; err != nil {
		t.Fatal(err)
	}
	// A session row written without last_seen_at takes the column's default.
	if err := db.Exec(`INSERT INTO sessions (id_hash, subject, issuer, role, csrf_token, created_at, expires_at)
		VALUES ('h1', 's', 'i', 'applicant', 'c', ?, ?)`, at.UTC(), at.Add(time.Hour).UTC()).Error; err != nil {
		t.Fatalf("insert a session before the migration: %v", err)
	}

	check := func(label string) {
		t.Helper()
		got, err := s.GetWorksite(ctx, w.ID)
		if domain.ErrorCode(err) == domain.EUNAVAILABLE {
			// The pool's prepared statement predates the migration; the
			// store says "try again", and again it works.
			got, err = s.GetWorksite(ctx, w.ID)
		}
		if err != nil || !got.RegisteredAt.Equal(at) {
			t.Errorf("%s: registered_at = %v, %v; want %v", label, got.RegisteredAt, err, at)
		}
		var epoch bool
		if err := db.Raw("SELECT last_seen_at = ? FROM sessions WHERE id_hash = 'h1'", time.Unix(0, 0).UTC()).Scan(&epoch).Error; err != nil || !epoch {
			t.Errorf("%s: the default last_seen_at is not 1970-01-01 UTC (%v)", label, err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	check("after the migration")
	// In a session of another zone, the column holds the same instant.
	var utcText string
	if err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL TIME ZONE 'Asia/Tokyo'").Error; err != nil {
			return err
		}
		return tx.Raw("SELECT to_char(registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM worksites WHERE id = ?", w.ID).Scan(&utcText).Error
	}); err != nil || utcText != "2026-11-02 17:15" {
		t.Errorf("registered_at in UTC, read in Tokyo = %q, %v; want 2026-11-02 17:15", utcText, err)
	}
	// A new session row takes the converted default: the same instant.
	if err := db.Exec(`INSERT INTO sessions (id_hash, subject, issuer, role, csrf_token, created_at, expires_at)
		VALUES ('h2', 's', 'i', 'applicant', 'c', now(), now())`).Error; err != nil {
		t.Fatal(err)
	}
	var epoch2 bool
	if err := db.Raw("SELECT last_seen_at = to_timestamp(0) FROM sessions WHERE id_hash = 'h2'").Scan(&epoch2).Error; err != nil || !epoch2 {
		t.Errorf("the converted default of last_seen_at is not 1970-01-01 UTC (%v)", err)
	}

	if err := s.MigrateDownTo(ctx, 20); err != nil {
		t.Fatalf("migrate down: %v", err)
	}
	// The store's statements name today's columns, so the old schema is read directly.
	var down time.Time
	if err := db.Raw("SELECT registered_at FROM worksites WHERE id = ?", w.ID).Scan(&down).Error; err != nil || !down.Equal(at) {
		t.Errorf("after migrating down: registered_at = %v, %v; want %v", down, err, at)
	}
	if tz := columnsOfType(t, db, "timestamp with time zone"); len(tz) != 0 {
		t.Errorf("after migrating down, timestamptz columns: %v; want none", tz)
	}
}
