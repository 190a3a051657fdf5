package identity

import (
	"fmt"
	"testing"
	"time"

	"careconnect/domain"
)

func TestVerifiedTokens(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	p := domain.Principal{Subject: "bcsc-1", Role: domain.RoleApplicant}
	tests := []struct {
		name   string
		expiry time.Time
		lookup string
		at     time.Time
		want   bool
	}{
		{"same token before expiry", now.Add(time.Hour), "tok", now.Add(time.Minute), true},
		{"same token at expiry", now.Add(2 * time.Minute), "tok", now.Add(2 * time.Minute), false},
		{"past the cache's own bound", now.Add(time.Hour), "tok", now.Add(maxTokenCacheAge), false},
		{"another token", now.Add(time.Hour), "tok2", now.Add(time.Minute), false},
		{"a prefix of the token", now.Add(time.Hour), "to", now.Add(time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v verifiedTokens
			v.put("tok", p, tt.expiry, now)
			got, ok := v.get(tt.lookup, tt.at)
			if ok != tt.want || (ok && got != p) {
				t.Errorf("get(%q) at +%v = %+v, %v; want found %v", tt.lookup, tt.at.Sub(now), got, ok, tt.want)
			}
		})
	}
	t.Run("already expired is not kept", func(t *testing.T) {
		var v verifiedTokens
		v.put("tok", p, now.Add(-time.Second), now)
		if v.len() != 0 {
			t.Errorf("len = %d; want 0", v.len())
		}
	})
	t.Run("bounded", func(t *testing.T) {
		var v verifiedTokens
		for i := range maxCachedTokens + 10 {
			v.put(fmt.Sprint("tok", i), p, now.Add(time.Hour), now)
		}
		if n := v.len(); n > maxCachedTokens {
			t.Errorf("len = %d; want at most %d", n, maxCachedTokens)
		}
		if _, ok := v.get(fmt.Sprint("tok", maxCachedTokens+9), now); !ok {
			t.Errorf("the newest token was not kept")
		}
	})
}
