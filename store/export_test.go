package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"careconnect/domain"
)

// SearchKeys exposes the address key prefixes SearchWorksites looks up.
var SearchKeys = searchKeys

// seedStreets and seedCities make the synthetic addresses of SeedWorksites.
var (
	seedStreets = []string{"Broadway E", "Broadway W", "Main St", "Kingsway", "Granville St", "Commercial Dr", "Cambie St",
		"Oak St", "Fraser St", "Knight St", "Victoria Dr", "Hastings St E", "Hastings St W", "Davie St", "Denman St",
		"Robson St", "Georgia St W", "Marine Dr SW", "Lonsdale Ave", "Esplanade W", "Kingsway Ave", "Lougheed Hwy",
		"Johnson St", "Douglas St", "Yates St", "Fort St", "Bernard Ave", "Harvey Ave", "Pandosy St", "Victoria St",
		"Columbia St", "6th Ave", "King George Blvd", "Scott Rd", "Fraser Hwy", "152 St", "No 3 Rd", "Westminster Hwy",
		"Austin Ave", "Clarke Rd", "Dewdney Trunk Rd", "Lorne St", "Seymour St", "Tranquille Rd", "Bowen Rd",
		"Comox Rd", "Island Hwy", "Main St N", "Cliffe Ave", "Baker St"}
	seedCities = []string{"Vancouver", "North Vancouver", "Burnaby", "Victoria", "Kelowna", "Surrey", "Richmond",
		"Coquitlam", "Kamloops", "Nanaimo"}
)

// SeedWorksites bulk-inserts n synthetic worksites (IDs S000000 on) at
// distinct addresses, registered and in state "approved", for benchmarks
// and plan checks. It bypasses CreateWorksite, which costs a transaction
// and an audit record per worksite.
func SeedWorksites(tb testing.TB, s *Store, n int) {
	tb.Helper()
	now := time.Now().UTC()
	rows := make([]worksiteRow, n)
	for i := range rows {
		st := i % len(seedStreets)
		// 37 and 4000 are coprime, so numbers on one street are distinct
		// for the first 4000 worksites there.
		addr := domain.Address{StreetNumber: fmt.Sprint(1 + (i/len(seedStreets)*37)%4000), StreetName: seedStreets[st],
			City: seedCities[st%len(seedCities)], Province: "BC", PostalCode: "V5T 4G5"}
		if i/len(seedStreets) >= 4000 {
			addr.Unit = fmt.Sprint(i / len(seedStreets) / 4000)
		}
		rows[i] = worksiteRow{ID: fmt.Sprintf("S%06d", i), Name: fmt.Sprintf("Clinic %d", i), Phone: "(604) 555-0100",
			Email: "clinic@example.ca", Unit: addr.Unit, StreetNumber: addr.StreetNumber, StreetName: addr.StreetName,
			City: addr.City, Province: addr.Province, PostalCode: addr.PostalCode, AddressKey: domain.AddressKey(addr),
			UnitKey: domain.UnitKey(addr.Unit), LocationType: string(domain.CommunityPrivatePractice), SubOption: "physician_led",
			EMR: "OSCAR", AdminName: "Admin", AdminEmail: "admin@example.ca", RegisteredAt: now, State: "approved",
			StatusJSON: "{}", UpdatedAt: now}
	}
	// Long multi-row INSERTs are slow in the pure-Go SQLite; short ones cost
	// PostgreSQL round trips.
	batch := 500
	if s.dialect == SQLite {
		batch = 20
	}
	if err := s.db.CreateInBatches(rows, batch).Error; err != nil {
		tb.Fatalf("SeedWorksites: %v", err)
	}
	if err := s.db.Exec("ANALYZE worksites").Error; err != nil {
		tb.Fatalf("SeedWorksites: analyze: %v", err)
	}
}

// ExplainSearch returns the database's plan for the query SearchWorksites
// runs for prefix and limit, one plan line a line.
func (s *Store) ExplainSearch(ctx context.Context, prefix string, limit int) (string, error) {
	keys, err := searchKeys(prefix)
	if err != nil {
		return "", err
	}
	return s.explain(ctx, s.searchQuery(s.dryRun(ctx), keys, limit).Find(&[]worksiteRow{}).Statement)
}

// ExplainListApplications returns the plan of ListApplications(ctx, f), f.Limit set.
func (s *Store) ExplainListApplications(ctx context.Context, f ApplicationFilter) (string, error) {
	q, err := queueQuery(s.dryRun(ctx), f)
	if err != nil {
		return "", err
	}
	return s.explain(ctx, q.Find(&[]applicationRow{}).Statement)
}

// ExplainListWorksites returns the plan of ListWorksites(ctx, f), f.Limit
// set, made with the planner settings given in force (PostgreSQL's SET
// LOCAL, such as "enable_seqscan = off").
func (s *Store) ExplainListWorksites(ctx context.Context, f WorksiteFilter, settings ...string) (string, error) {
	return s.explain(ctx, worksiteListQuery(s.dryRun(ctx), f).Find(&[]worksiteRow{}).Statement, settings...)
}

// dryRun builds statements without running them.
func (s *Store) dryRun(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Session(&gorm.Session{DryRun: true})
}

// explain returns the database's plan of stmt, one plan line a line,
// made in a transaction with the planner settings given set locally.
func (s *Store) explain(ctx context.Context, stmt *gorm.Statement, settings ...string) (string, error) {
	explain := "EXPLAIN "
	if s.dialect == SQLite {
		explain = "EXPLAIN QUERY PLAN "
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return "", err
	}
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback() // an explain writes nothing: the settings end with it
	for _, set := range settings {
		if _, err := tx.ExecContext(ctx, "SET LOCAL "+set); err != nil {
			return "", err
		}
	}
	// The statement's own SQL and bind variables, as the store sends them.
	rows, err := tx.QueryContext(ctx, explain+stmt.SQL.String(), stmt.Vars...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		// PostgreSQL: one column, QUERY PLAN; SQLite: id, parent, notused, detail.
		lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
	}
	return strings.Join(lines, "\n"), rows.Err()
}

// DatabaseCollation returns PostgreSQL's database collation ("" on SQLite).
func (s *Store) DatabaseCollation(ctx context.Context) (string, error) {
	if s.dialect != Postgres {
		return "", nil
	}
	var c string
	err := s.db.WithContext(ctx).Raw("SELECT datcollate FROM pg_database WHERE datname = current_database()").Row().Scan(&c)
	return c, err
}

// MigrateDownTo rolls the schema back to version v, for tests of a
// migration on rows written before it.
func (s *Store) MigrateDownTo(ctx context.Context, v int64) error {
	p, err := s.migrations()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, v)
	return err
}

// SaveApplicationV7 writes an application as SaveApplication did at schema
// version 7, before the escalated column.
func (s *Store) SaveApplicationV7(ctx context.Context, subject string, a domain.Application) error {
	js, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Exec("INSERT INTO applications (subject, worksite_id, state, submitted_at, ready_since, app_json, seq, updated_at) "+
		"VALUES (?, ?, ?, ?, ?, ?, 1, ?)", subject, a.Worksite.ID, string(a.State), a.SubmittedAt.UTC(), utcPtr(a.ReadySince), string(js),
		time.Now().UTC()).Error
}

// PoolStats are the connection pool's statistics (its limits among them).
func PoolStats(s *Store) sql.DBStats {
	sqlDB, err := s.db.DB()
	if err != nil {
		panic(err)
	}
	return sqlDB.Stats()
}
