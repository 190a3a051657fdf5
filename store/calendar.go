package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm/clause"

	"careconnect/domain"
)

// CalendarPush records the business calendar last pushed to the running
// enrolments of a task queue.
type CalendarPush struct {
	TaskQueue string
	// Fingerprint is Calendar.Fingerprint().
	Fingerprint string
	Calendar    domain.Calendar
	// Workflows is how many running workflows were sent it.
	Workflows int
	PushedAt  time.Time
}

// calendarPushRow is the calendar_pushes table.
type calendarPushRow struct {
	TaskQueue   string `gorm:"primaryKey"`
	Fingerprint string
	Calendar    string
	Workflows   int
	PushedAt    time.Time
}

func (calendarPushRow) TableName() string { return "calendar_pushes" }

// LastCalendarPush returns the calendar last pushed to taskQueue's running
// enrolments. Errors: ENOTFOUND (none yet), EUNAVAILABLE.
func (s *Store) LastCalendarPush(ctx context.Context, taskQueue string) (CalendarPush, error) {
	var r calendarPushRow
	if err := s.db.WithContext(ctx).First(&r, "task_queue = ?", taskQueue).Error; err != nil {
		return CalendarPush{}, translate(err)
	}
	p := CalendarPush{TaskQueue: r.TaskQueue, Fingerprint: r.Fingerprint, Workflows: r.Workflows, PushedAt: r.PushedAt.UTC()}
	if err := json.Unmarshal([]byte(r.Calendar), &p.Calendar); err != nil {
		return CalendarPush{}, fmt.Errorf("store: calendar push of %s: %w", taskQueue, err)
	}
	return p, nil
}

// SaveCalendarPush records p as the calendar last pushed to its task
// queue, replacing the one before. Errors: EUNAVAILABLE.
func (s *Store) SaveCalendarPush(ctx context.Context, p CalendarPush) error {
	js, err := json.Marshal(p.Calendar)
	if err != nil {
		return fmt.Errorf("store: calendar push: %w", err)
	}
	row := calendarPushRow{TaskQueue: p.TaskQueue, Fingerprint: p.Fingerprint, Calendar: string(js),
		Workflows: p.Workflows, PushedAt: p.PushedAt.UTC()}
	return translate(s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "task_queue"}},
		DoUpdates: clause.AssignmentColumns([]string{"fingerprint", "calendar", "workflows", "pushed_at"}),
	}).Create(&row).Error)
}

// timestamptzVersion is the migration that makes PostgreSQL's times
// timestamptz (timestamptz).
const timestamptzVersion = 21

// timestamptz is migration 21: on PostgreSQL, every column of the schema
// still `timestamp` (without time zone) becomes `timestamptz`, reading
// what it holds as UTC, which is what the store has always written (it
// converts every time to UTC first). A timestamptz holds an instant, so
// what a reader sees no longer depends on which zone the writer's times
// were in, and SQL that compares with now() or reads the column in
// another session zone means what it says. SQLite has one type for both
// (the driver reads a column declared TIMESTAMP as a time, and no other
// name), so there the migration does nothing, and shared SQL migrations
// keep declaring TIMESTAMP: a later one that adds a time column converts
// it the same way (a Go migration calling convertTimestamps), or
// TestTimestampsAreTimestamptz fails. A default (sessions' '1970-01-01')
// is converted as UTC too. Down converts back.
func timestamptz(dialect string) *goose.Migration {
	run := func(from, to string) func(context.Context, *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			if dialect != Postgres {
				return nil
			}
			return convertTimestamps(ctx, tx, from, to)
		}
	}
	return goose.NewGoMigration(timestamptzVersion,
		&goose.GoFunc{RunTx: run("timestamp without time zone", "TIMESTAMPTZ")},
		&goose.GoFunc{RunTx: run("timestamp with time zone", "TIMESTAMP")})
}

// convertTimestamps changes every column of type from (information_schema's
// name) in the current schema's tables, goose's own aside, to type to,
// reading and writing the values as UTC: one rewrite per table.
func convertTimestamps(ctx context.Context, tx *sql.Tx, from, to string) error {
	rows, err := tx.QueryContext(ctx, `SELECT c.table_name, c.column_name, COALESCE(c.column_default, '')
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		  AND c.data_type = $1 AND c.table_name <> 'goose_db_version'
		ORDER BY c.table_name, c.ordinal_position`, from)
	if err != nil {
		return err
	}
	type column struct{ table, name, def string }
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.table, &c.name, &c.def); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := 0; i < len(cols); {
		table := cols[i].table
		var drop, alter, set []string
		for ; i < len(cols) && cols[i].table == table; i++ {
			c := quoteIdent(cols[i].name)
			alter = append(alter, fmt.Sprintf("ALTER COLUMN %s TYPE %s USING %s AT TIME ZONE 'UTC'", c, to, c))
			if d := cols[i].def; d != "" {
				// The default is an expression of the old type; the new one
				// reads it as UTC, whatever the session's zone.
				drop = append(drop, fmt.Sprintf("ALTER COLUMN %s DROP DEFAULT", c))
				set = append(set, fmt.Sprintf("ALTER COLUMN %s SET DEFAULT ((%s) AT TIME ZONE 'UTC')", c, d))
			}
		}
		for _, part := range [][]string{drop, alter, set} {
			if len(part) == 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, "ALTER TABLE "+quoteIdent(table)+" "+strings.Join(part, ", ")); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
		}
	}
	return nil
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
