package identity

import (
	"crypto/sha256"
	"sync"
	"time"

	"careconnect/domain"
)

// verifiedTokens remembers the principals of bearer ID tokens already
// verified, so that a client sending the same token on every request pays
// for the signature check (an RSA verification, most of a status read's
// CPU) once, not on every call. An entry is keyed by the SHA-256 of the
// whole token, so only that exact token finds it; it lives until the
// token expires or for at most maxTokenCacheAge, whichever is sooner. Only
// tokens that passed every check are kept; a refused one is verified again
// each time.
type verifiedTokens struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]verifiedToken // guarded by mu
}

type verifiedToken struct {
	principal domain.Principal
	until     time.Time
}

const (
	// maxTokenCacheAge bounds how long a verified token is trusted without
	// its signature being checked again.
	maxTokenCacheAge = 5 * time.Minute
	// maxCachedTokens bounds the cache's memory (a few hundred bytes an entry).
	maxCachedTokens = 10000
)

// get returns the principal of raw if it was verified and has not expired at now.
func (v *verifiedTokens) get(raw string, now time.Time) (domain.Principal, bool) {
	key := sha256.Sum256([]byte(raw))
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.entries[key]
	if !ok {
		return domain.Principal{}, false
	}
	if !now.Before(e.until) {
		delete(v.entries, key)
		return domain.Principal{}, false
	}
	return e.principal, true
}

// put remembers raw's principal until expiry (capped at now+maxTokenCacheAge).
func (v *verifiedTokens) put(raw string, p domain.Principal, expiry, now time.Time) {
	until := now.Add(maxTokenCacheAge)
	if expiry.Before(until) {
		until = expiry
	}
	if !now.Before(until) {
		return
	}
	key := sha256.Sum256([]byte(raw))
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.entries == nil {
		v.entries = map[[sha256.Size]byte]verifiedToken{}
	}
	if len(v.entries) >= maxCachedTokens {
		for k, e := range v.entries {
			if !now.Before(e.until) {
				delete(v.entries, k)
			}
		}
		if len(v.entries) >= maxCachedTokens {
			clear(v.entries) // all live: start again rather than grow
		}
	}
	v.entries[key] = verifiedToken{principal: p, until: until}
}

// len is the number of entries, for tests.
func (v *verifiedTokens) len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.entries)
}
