package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"careconnect/domain"
)

// The team's searchable, paged lists (domain.ListQuery): people by name,
// email or username, worksites by name, ID or address. Each pages on its
// sort key (keyset), and counts every match for the list's total. The
// text matches anywhere in a field (LIKE '%text%'), which no index serves:
// the team's lists are read by a few people, and a full scan of tens of
// thousands of rows takes milliseconds.

// likeAnywhere is a LIKE pattern matching text anywhere, its wildcards
// escaped (with backslash, ESCAPE '\').
func likeAnywhere(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(text) + "%"
}

// FindPeople lists people (signed in at least once) matching q.Text in
// their legal or preferred names, email, username or subject, by legal
// last name, first name and subject. Errors: EINVALID (field "cursor").
func (s *Store) FindPeople(ctx context.Context, q domain.ListQuery) (domain.PeoplePage, error) {
	out := domain.PeoplePage{People: []domain.PersonHit{}}
	limit := pageLimit(q.Limit)
	base := func() *gorm.DB {
		db := s.db.WithContext(ctx).Table("people AS p").Joins("LEFT JOIN accounts AS a ON a.subject = p.subject")
		if q.Text != "" {
			pat := likeAnywhere(q.Text)
			db = db.Where(`lower(p.legal_first || ' ' || p.legal_last) LIKE ? ESCAPE '\'
				OR lower(coalesce(a.preferred_first, '') || ' ' || coalesce(a.preferred_last, '')) LIKE ? ESCAPE '\'
				OR lower(coalesce(a.email, '')) LIKE ? ESCAPE '\' OR lower(coalesce(a.pending_email, '')) LIKE ? ESCAPE '\'
				OR coalesce(a.username_key, '') LIKE ? ESCAPE '\' OR p.subject = ?`, pat, pat, pat, pat, pat, q.Text)
		}
		return db
	}
	if err := base().Count(&out.Total).Error; err != nil {
		return out, translate(err)
	}
	db := base()
	if k := q.Cursor.Keys; len(k) == 3 {
		db = db.Where(`lower(p.legal_last) > ? OR (lower(p.legal_last) = ? AND lower(p.legal_first) > ?)
			OR (lower(p.legal_last) = ? AND lower(p.legal_first) = ? AND p.subject > ?)`, k[0], k[0], k[1], k[0], k[1], k[2])
	}
	var rows []struct {
		Subject, LegalFirst, LegalLast, State, WaitingOn           string
		PreferredFirst, PreferredLast, Username, Email, Profession *string
		CreatedAt                                                  time.Time
	}
	err := db.Select(`p.subject, p.legal_first, p.legal_last, p.state, p.waiting_on, p.created_at,
			a.preferred_first, a.preferred_last, a.username, a.email, a.profession`).
		Order("lower(p.legal_last), lower(p.legal_first), p.subject").Limit(limit + 1).Scan(&rows).Error
	if err != nil {
		return out, translate(err)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	for i, r := range rows {
		if i == limit {
			last := out.People[limit-1]
			out.NextCursor = domain.Cursor{Keys: []string{strings.ToLower(last.LegalLastName), strings.ToLower(last.LegalFirstName), last.Subject}}.String()
			break
		}
		out.People = append(out.People, domain.PersonHit{Subject: r.Subject, LegalFirstName: r.LegalFirst, LegalLastName: r.LegalLast,
			PreferredFirstName: str(r.PreferredFirst), PreferredLastName: str(r.PreferredLast), Username: str(r.Username),
			Email: str(r.Email), Profession: str(r.Profession), State: r.State, WaitingOn: r.WaitingOn, SignedUpAt: r.CreatedAt.UTC()})
	}
	return out, nil
}

// FindWorksites lists worksites matching q.Text in their name, ID,
// address or postal code, and f's filters, by registration (oldest
// first) and ID. Errors: EINVALID (field "cursor").
func (s *Store) FindWorksites(ctx context.Context, q domain.ListQuery, f domain.WorksiteFilter) (domain.WorksitePage, error) {
	out := domain.WorksitePage{Worksites: []domain.WorksiteSummary{}}
	limit := pageLimit(q.Limit)
	base := func() *gorm.DB {
		db := narrow(s.db.WithContext(ctx).Model(&worksiteRow{}), f.Escalated,
			eq{"state", f.State}, eq{"waiting_on", f.WaitingOn}, eq{"location_type", f.LocationType})
		if q.Text != "" {
			pat := likeAnywhere(q.Text)
			db = db.Where(`lower(name) LIKE ? ESCAPE '\' OR lower(id) = ?
				OR lower(street_number || ' ' || street_name || ', ' || city) LIKE ? ESCAPE '\'
				OR lower(unit || '-' || street_number || ' ' || street_name) LIKE ? ESCAPE '\'
				OR lower(postal_code) LIKE ? ESCAPE '\'`, pat, q.Text, pat, pat, pat)
		}
		return db
	}
	if err := base().Count(&out.Total).Error; err != nil {
		return out, translate(err)
	}
	db := base()
	if k := q.Cursor.Keys; len(k) == 2 {
		at, err := time.Parse(time.RFC3339Nano, k[0])
		if err != nil {
			return out, (domain.FieldErrors{"cursor": "is not a cursor this list gave; start from the first page"}).Err()
		}
		db = db.Where("registered_at > ? OR (registered_at = ? AND id > ?)", at.UTC(), at.UTC(), k[1])
	}
	rows, err := db.Select(worksiteSummaryColumns).Order("registered_at").Order("id").Limit(limit + 1).Rows()
	if err != nil {
		return out, translate(err)
	}
	defer rows.Close()
	ws, err := scanWorksiteSummaries(rows, min(limit+1, 128))
	if err != nil {
		return out, err
	}
	if len(ws) > limit {
		last := ws[limit-1]
		out.NextCursor = domain.Cursor{Keys: []string{last.RegisteredAt.UTC().Format(time.RFC3339Nano), last.ID}}.String()
		ws = ws[:limit]
	}
	out.Worksites = ws
	return out, nil
}
