package store_test

import (
	"context"
	"strings"
	"testing"

	"careconnect/store"
	"careconnect/store/storetest"
)

// searchWorkload is what people type into the address search: prefixes
// that match one street, several, or a street word still being typed.
var searchWorkload = []string{"370 broad", "1200 Lonsdale Ave", "37 main", "120 ", "2590 Kingsway Ea", "999 nowhere"}

// seededWorksites is the size DOMAIN's search must stay fast at.
const seededWorksites = 10_000

// BenchmarkSearchWorksites10k measures SearchWorksites over 10,000 worksites.
func BenchmarkSearchWorksites10k(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d, func(b *testing.B) {
			s := storetest.New(b, d)
			store.SeedWorksites(b, s, seededWorksites)
			ctx := context.Background()
			for i := 0; b.Loop(); i++ {
				if _, err := s.SearchWorksites(ctx, searchWorkload[i%len(searchWorkload)], 20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSearchUsesIndexOnPostgres checks "fast at 10,000 worksites" by plan,
// not timing: with 10,000 analysed rows, PostgreSQL must answer a search
// from the address prefix index rather than by reading the table.
func TestSearchUsesIndexOnPostgres(t *testing.T) {
	s := storetest.New(t, store.Postgres)
	store.SeedWorksites(t, s, seededWorksites)
	ctx := context.Background()
	collation, err := s.DatabaseCollation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	indexes := []string{"worksites_address_prefix"}
	if collation == "C" || collation == "POSIX" {
		// Under the C collation the unique (address_key, unit_key) index
		// serves LIKE prefixes too, and the planner may prefer it.
		indexes = append(indexes, "worksites_address_unit")
	}
	for _, typed := range searchWorkload {
		plan, err := s.ExplainSearch(ctx, typed, 20)
		if err != nil {
			t.Fatalf("explain %q: %v", typed, err)
		}
		if strings.Contains(plan, "Seq Scan") || !usesIndex(plan, indexes) {
			t.Errorf("search for %q does not use %s:\n%s", typed, strings.Join(indexes, " or "), plan)
		}
	}
}

// TestSearchUsesIndexOnSQLite checks the SQLite (dev) plan the same way:
// the prefix range searches the unique (address_key, unit_key) index.
func TestSearchUsesIndexOnSQLite(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	store.SeedWorksites(t, s, seededWorksites)
	for _, typed := range searchWorkload {
		plan, err := s.ExplainSearch(context.Background(), typed, 20)
		if err != nil {
			t.Fatalf("explain %q: %v", typed, err)
		}
		if strings.Contains(plan, "SCAN worksites") || !strings.Contains(plan, "INDEX worksites_address_unit (address_key>? AND address_key<?)") {
			t.Errorf("search for %q does not search worksites_address_unit:\n%s", typed, plan)
		}
	}
}

// usesIndex reports whether a PostgreSQL plan scans one of indexes:
// "Index Scan using IX on worksites" or "Bitmap Index Scan on IX".
func usesIndex(plan string, indexes []string) bool {
	for _, line := range strings.Split(plan, "\n") {
		for _, ix := range indexes {
			if (strings.Contains(line, "Index Scan") || strings.Contains(line, "Index Only Scan")) &&
				(strings.Contains(line, " using "+ix+" ") || strings.Contains(line, " on "+ix+" ")) {
				return true
			}
		}
	}
	return false
}
