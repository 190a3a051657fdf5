package domain

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// The team's lists (DOMAIN "Audit": find a person by name, email or
// username and a worksite by name or address; page through and export
// every list) page with an opaque cursor: the sort key of the last row
// shown, so a page never repeats or skips a row when rows are added.

// MaxPageSize is the most rows one page of a team list holds; MaxExport
// the most rows one CSV export holds.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
	MaxExport       = 50000
)

// PersonHit is one person in the team's people list: legal names beside
// the preferred ones the person chose.
type PersonHit struct {
	Subject            string    `json:"subject"`
	LegalFirstName     string    `json:"legalFirstName"`
	LegalLastName      string    `json:"legalLastName"`
	PreferredFirstName string    `json:"preferredFirstName,omitempty"`
	PreferredLastName  string    `json:"preferredLastName,omitempty"`
	Username           string    `json:"username,omitempty"`
	Email              string    `json:"email,omitempty"`
	Profession         string    `json:"profession,omitempty"`
	State              string    `json:"state"`
	WaitingOn          string    `json:"waitingOn,omitempty"`
	SignedUpAt         time.Time `json:"signedUpAt"`
}

// PeoplePage is one page of the team's people list.
type PeoplePage struct {
	People []PersonHit `json:"people"`
	// Total counts every person the search matches, on every page.
	Total int64 `json:"total"`
	// NextCursor fetches the next page; empty on the last.
	NextCursor string `json:"nextCursor,omitempty"`
}

// WorksitePage is one page of the team's worksite list.
type WorksitePage struct {
	Worksites  []WorksiteSummary `json:"worksites"`
	Total      int64             `json:"total"`
	NextCursor string            `json:"nextCursor,omitempty"`
}

// ListQuery is a search of a team list and where its page starts.
type ListQuery struct {
	// Text is what the team typed: part of a name, an email, a username,
	// a worksite ID or part of an address; "" lists everything.
	Text   string
	Cursor Cursor
	Limit  int
}

// Cursor is the sort key of the last row of the previous page; zero for
// the first page.
type Cursor struct {
	Keys []string `json:"k"`
}

// String is the cursor as callers carry it (URL-safe); "" for the first page.
func (c Cursor) String() string {
	if len(c.Keys) == 0 {
		return ""
	}
	b, _ := json.Marshal(c) // a []string always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseCursor reads a cursor a caller sent back, with n sort keys.
// Errors: EINVALID (field "cursor").
func ParseCursor(s string, n int) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	bad := (FieldErrors{"cursor": "is not a cursor this list gave; start from the first page"}).Err()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 2048 {
		return Cursor{}, bad
	}
	var c Cursor
	if err := json.Unmarshal(b, &c); err != nil || len(c.Keys) != n {
		return Cursor{}, bad
	}
	return c, nil
}

// SearchText normalises what the team typed into a list search: trimmed,
// lower-case, inner spaces collapsed. Errors: EINVALID (field "q") for
// more than 200 characters or control characters.
func SearchText(s string) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		return "", (FieldErrors{"q": "must be at most 200 characters"}).Err()
	}
	if ValidName(s) != nil {
		return "", (FieldErrors{"q": "must be one line of text"}).Err()
	}
	return strings.ToLower(s), nil
}

// PageSize is a list's page size from what the caller asked (0: the default).
// Errors: EINVALID (field "limit").
func PageSize(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultPageSize, nil
	case n < 1 || n > MaxPageSize:
		return 0, (FieldErrors{"limit": "must be a whole number from 1 to 500"}).Err()
	}
	return n, nil
}

// CSVCell makes a value safe to open in a spreadsheet: a cell that
// would start a formula (=, +, -, @, tab, carriage return) is prefixed
// with an apostrophe.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
