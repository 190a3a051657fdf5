package store_test

import (
	"context"
	"fmt"
	"testing"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/store/storetest"
)

// The team finds a person by part of a name, an email or a username, and
// pages through every match with the cursor, none twice, with the total.
func TestFindPeople(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for i := 0; i < 5; i++ {
			mustAccountOf(t, s, fmt.Sprintf("sub-%d", i), fmt.Sprintf("person%d@clinic.example.ca", i), fmt.Sprintf("user_%d", i))
		}
		if err := s.EnsurePerson(ctx, "sub-x", "Xavier", "Zed"); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		q := domain.ListQuery{Limit: 2}
		for page := 0; ; page++ {
			got, err := s.FindPeople(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != 6 {
				t.Fatalf("page %d: total %d; want 6", page, got.Total)
			}
			for _, p := range got.People {
				if seen[p.Subject] {
					t.Fatalf("page %d repeats %s", page, p.Subject)
				}
				seen[p.Subject] = true
			}
			if got.NextCursor == "" {
				break
			}
			c, err := domain.ParseCursor(got.NextCursor, 3)
			if err != nil {
				t.Fatal(err)
			}
			q.Cursor = c
		}
		if len(seen) != 6 {
			t.Errorf("paged through %d people; want 6", len(seen))
		}
		for _, tc := range []struct {
			text string
			want int64
		}{
			{"person3@clinic", 1}, {"user_4", 1}, {"user_", 5}, {"user%", 0}, {"xavier zed", 1}, {"legal name", 5}, {"%", 0}, {"sub-x", 1},
		} {
			got, err := s.FindPeople(ctx, domain.ListQuery{Text: tc.text})
			if err != nil || got.Total != tc.want || int64(len(got.People)) != tc.want {
				t.Errorf("FindPeople(%q) = %d of %d, %v; want %d", tc.text, len(got.People), got.Total, err, tc.want)
			}
		}
	})
}

// The team finds a worksite by name, ID or address, paged the same way.
func TestFindWorksites(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var ids []string
		for i := 0; i < 5; i++ {
			w := mustCreateAt(t, s, fmt.Sprintf("Clinic %d", i), fmt.Sprint(100+i), "Broadway E", "Vancouver", "", "")
			ids = append(ids, w.ID)
		}
		seen := map[string]bool{}
		q := domain.ListQuery{Limit: 2}
		for {
			got, err := s.FindWorksites(ctx, q, domain.WorksiteFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != 5 {
				t.Fatalf("total %d; want 5", got.Total)
			}
			for _, w := range got.Worksites {
				if seen[w.ID] {
					t.Fatalf("repeats %s", w.ID)
				}
				seen[w.ID] = true
			}
			if got.NextCursor == "" {
				break
			}
			c, err := domain.ParseCursor(got.NextCursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			q.Cursor = c
		}
		if len(seen) != 5 {
			t.Errorf("paged through %d worksites; want 5", len(seen))
		}
		for _, tc := range []struct {
			text string
			want int64
		}{
			{"clinic 3", 1}, {"103 broadway", 1}, {"broadway e, vancouver", 5}, {"v5t", 5}, {"nowhere", 0},
		} {
			got, err := s.FindWorksites(ctx, domain.ListQuery{Text: tc.text}, domain.WorksiteFilter{})
			if err != nil || got.Total != tc.want {
				t.Errorf("FindWorksites(%q) total %d, %v; want %d", tc.text, got.Total, err, tc.want)
			}
		}
		got, err := s.FindWorksites(ctx, domain.ListQuery{Text: lower(ids[2])}, domain.WorksiteFilter{})
		if err != nil || got.Total != 1 || got.Worksites[0].ID != ids[2] {
			t.Errorf("by ID: %+v, %v", got, err)
		}
	})
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
