package store_test

import (
	"testing"
	"time"

	"careconnect/store"
	"careconnect/store/storetest"
)

// TestSetPool: database.max_open_conns reaches PostgreSQL's pool; SQLite
// keeps its one connection whatever is asked.
func TestSetPool(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		if err := s.SetPool(store.Pool{MaxOpen: 7, MaxIdle: 3, MaxLifetime: time.Minute, MaxIdleTime: time.Minute}); err != nil {
			t.Fatal(err)
		}
		want := 7
		if s.Dialect() == store.SQLite {
			want = 1
		}
		if got := store.PoolStats(s).MaxOpenConnections; got != want {
			t.Errorf("%s: max open connections = %d; want %d", s.Dialect(), got, want)
		}
	})
}
