package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"careconnect/domain"
)

type applicationRow struct {
	Subject      string `gorm:"primaryKey"`
	WorksiteID   string `gorm:"primaryKey"`
	Name         string
	Profession   string
	LocationType string
	State        string
	SubmittedAt  time.Time
	ReadySince   *time.Time
	// Blocker and WaitingOn are the first outstanding requirement's key and party.
	Blocker                string
	WaitingOn              string
	SponsorshipRequestedAt *time.Time
	Sponsored              bool
	// Escalated is the application's flag, a column for the queue's overdue filter.
	Escalated bool
	AppJSON   string `gorm:"column:app_json"`
	Seq       int
	UpdatedAt time.Time
}

func (applicationRow) TableName() string { return "applications" }

// SaveApplication upserts an application's projection unless a newer one (higher seq) is stored.
func (s *Store) SaveApplication(ctx context.Context, subject, name, profession string, a domain.Application, seq int) error {
	return translate(saveApplication(s.db.WithContext(ctx), subject, name, profession, a, seq))
}

// saveApplication is SaveApplication on db (a transaction or not).
func saveApplication(db *gorm.DB, subject, name, profession string, a domain.Application, seq int) error {
	js, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("store: application: %w", err)
	}
	row := applicationRow{Subject: subject, WorksiteID: a.Worksite.ID, Name: name, Profession: profession,
		LocationType: string(a.Worksite.Type.Type), State: string(a.State), SubmittedAt: a.SubmittedAt.UTC(),
		ReadySince: utcPtr(a.ReadySince), SponsorshipRequestedAt: utcPtr(a.SponsorshipRequestedAt), Sponsored: a.Sponsorship != nil,
		Escalated: a.Escalated, AppJSON: string(js), Seq: seq, UpdatedAt: time.Now().UTC()}
	if b, ok := a.Blocker(); ok {
		row.Blocker, row.WaitingOn = b.Key, string(b.WaitingOn)
	}
	return db.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "subject"}, {Name: "worksite_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"name", "profession", "location_type", "state", "submitted_at", "ready_since",
			"blocker", "waiting_on", "sponsorship_requested_at", "sponsored", "escalated", "app_json", "seq", "updated_at"}),
		Where: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "applications.seq <= excluded.seq"}}},
	}).Create(&row).Error
}

// QueuedApplication is domain.QueuedApplication: the read model is the domain's, so the
// application layer names it without importing the store.
type QueuedApplication = domain.QueuedApplication

// ApplicationFilter is domain.ApplicationFilter: the read model is the domain's, so the
// application layer names it without importing the store.
type ApplicationFilter = domain.ApplicationFilter

// ListApplications lists the applications f selects, those waiting
// longest for the team first (the applications_queue index's order),
// from f.Cursor. Errors: EINVALID (field "cursor").
func (s *Store) ListApplications(ctx context.Context, f ApplicationFilter) ([]QueuedApplication, error) {
	f.Limit = pageLimit(f.Limit)
	return s.listApplications(ctx, f)
}

// listApplications is ListApplications with f.Limit as set.
func (s *Store) listApplications(ctx context.Context, f ApplicationFilter) ([]QueuedApplication, error) {
	q, err := queueQuery(s.db.WithContext(ctx), f)
	if err != nil {
		return nil, err
	}
	rows, err := q.Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	// Scanned by hand: gorm's reflective scan of each row cost as much as the query.
	out := make([]QueuedApplication, 0, min(f.Limit, 128))
	for rows.Next() {
		var (
			r     QueuedApplication
			state string
			ready sql.NullTime
			js    []byte
		)
		if err := rows.Scan(&r.Subject, &r.WorksiteID, &r.Name, &r.Profession, &state, &ready, &r.SubmittedAt, &js); err != nil {
			return nil, translate(err)
		}
		r.State, r.Application = domain.ApplicationState(state), json.RawMessage(js)
		r.ReadySince, r.SubmittedAt = utcNullTime(ready), r.SubmittedAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// PageApplications is one page of the team's queue: f.Limit applications
// from f.Cursor in ListApplications' order, the count of every one the
// filters match, and the next page's cursor. Errors: EINVALID (field "cursor").
func (s *Store) PageApplications(ctx context.Context, f ApplicationFilter) (domain.ApplicationPage, error) {
	out := domain.ApplicationPage{Applications: []QueuedApplication{}}
	limit := pageLimit(f.Limit)
	if err := queueFilter(s.db.WithContext(ctx), f).Count(&out.Total).Error; err != nil {
		return out, translate(err)
	}
	f.Limit = limit + 1 // one more tells whether a next page exists
	apps, err := s.listApplications(ctx, f)
	if err != nil {
		return out, err
	}
	if len(apps) > limit {
		apps = apps[:limit]
		out.NextCursor = queueCursor(apps[limit-1]).String()
	}
	out.Applications = apps
	return out, nil
}

// queueCursor is the cursor of the page after a.
func queueCursor(a QueuedApplication) domain.Cursor {
	ready := ""
	if a.ReadySince != nil {
		ready = a.ReadySince.UTC().Format(time.RFC3339Nano)
	}
	return domain.Cursor{Keys: []string{ready, a.SubmittedAt.UTC().Format(time.RFC3339Nano), a.Subject, a.WorksiteID}}
}

// queueFilter is the queue's rows that f's filters select.
func queueFilter(db *gorm.DB, f ApplicationFilter) *gorm.DB {
	return narrow(db.Model(&applicationRow{}), f.Escalated, eq{"state", f.State}, eq{"profession", f.Profession}, eq{"location_type", f.LocationType})
}

// queueQuery is ListApplications' statement for f (whose Limit is set):
// by ready time (none last, in both dialects), submission, subject and
// worksite, from after f.Cursor. Errors: EINVALID (field "cursor").
func queueQuery(db *gorm.DB, f ApplicationFilter) (*gorm.DB, error) {
	q := queueFilter(db, f).Select("subject", "worksite_id", "name", "profession", "state", "ready_since", "submitted_at", "app_json")
	if k := f.Cursor.Keys; len(k) > 0 {
		bad := (domain.FieldErrors{"cursor": "is not a cursor this list gave; start from the first page"}).Err()
		if len(k) != domain.QueueCursorKeys {
			return nil, bad
		}
		submitted, err := time.Parse(time.RFC3339Nano, k[1])
		if err != nil {
			return nil, bad
		}
		submitted = submitted.UTC()
		const rest = "(submitted_at > ? OR (submitted_at = ? AND (subject > ? OR (subject = ? AND worksite_id > ?))))"
		if k[0] == "" {
			q = q.Where("ready_since IS NULL AND "+rest, submitted, submitted, k[2], k[2], k[3])
		} else {
			ready, err := time.Parse(time.RFC3339Nano, k[0])
			if err != nil {
				return nil, bad
			}
			ready = ready.UTC()
			q = q.Where("ready_since > ? OR ready_since IS NULL OR (ready_since = ? AND "+rest+")",
				ready, ready, submitted, submitted, k[2], k[2], k[3])
		}
	}
	return q.Order("ready_since ASC NULLS LAST").Order("submitted_at").Order("subject").Order("worksite_id").Limit(f.Limit), nil
}

// eq is one equality filter of a list: the rows whose column col holds v
// (an empty v filters nothing).
type eq struct{ col, v string }

// narrow keeps the rows of q that every filter matches, and only the
// escalated ones when escalated: the filters the team's queue lists share.
func narrow(q *gorm.DB, escalated bool, filters ...eq) *gorm.DB {
	for _, f := range filters {
		if f.v != "" {
			q = q.Where(f.col+" = ?", f.v)
		}
	}
	if escalated {
		q = q.Where("escalated = ?", true)
	}
	return q
}

// pageLimit is a list's page size: n, or 100 when n is unset or over 500.
func pageLimit(n int) int {
	if n <= 0 || n > 500 {
		return 100
	}
	return n
}

// SponsorshipRequest is domain.SponsorshipRequest: the read model is the domain's, so the
// application layer names it without importing the store.
type SponsorshipRequest = domain.SponsorshipRequest

// SponsorshipRequests lists the open applications at a worksite whose
// applicant asked for a sponsor and has none yet, oldest request first.
func (s *Store) SponsorshipRequests(ctx context.Context, worksiteID string) ([]SponsorshipRequest, error) {
	var rows []applicationRow
	if err := s.db.WithContext(ctx).Where("worksite_id = ? AND state IN ? AND sponsorship_requested_at IS NOT NULL AND NOT sponsored",
		worksiteID, []string{string(domain.AppWaiting), string(domain.AppReady)}).
		Order("sponsorship_requested_at").Order("subject").Limit(500).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]SponsorshipRequest, len(rows))
	for i, r := range rows {
		out[i] = SponsorshipRequest{Subject: r.Subject, Name: r.Name, Profession: r.Profession}
		if err := json.Unmarshal([]byte(r.AppJSON), &out[i].Application); err != nil {
			return nil, fmt.Errorf("store: application of %s: %w", r.Subject, err)
		}
	}
	return out, nil
}

// Funnel counts people, worksites and applications by where they wait.
func (s *Store) Funnel(ctx context.Context) ([]domain.FunnelCount, error) {
	var out []domain.FunnelCount
	for _, q := range []struct{ kind, sql string }{
		{"person", "SELECT state, '' AS blocker, waiting_on, COUNT(*) AS count FROM people GROUP BY state, waiting_on"},
		{"worksite", "SELECT state, '' AS blocker, waiting_on, COUNT(*) AS count FROM worksites GROUP BY state, waiting_on"},
		{"application", "SELECT state, blocker, waiting_on, COUNT(*) AS count FROM applications GROUP BY state, blocker, waiting_on"},
	} {
		var rows []domain.FunnelCount
		if err := s.db.WithContext(ctx).Raw(q.sql).Scan(&rows).Error; err != nil {
			return nil, translate(err)
		}
		for _, r := range rows {
			r.Kind = q.kind
			out = append(out, r)
		}
	}
	return out, nil
}
