package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"

	"careconnect/domain"
)

// pendingRow is the pending_memberships table: a worksite's open join
// requests and invitations, one row each, rebuilt with the memberships
// rows on every SaveMembership, so that "what waits for this person"
// (their join requests, invitations to their address) is an indexed
// query rather than a scan of every worksite's membership JSON.
type pendingRow struct {
	WorksiteID string `gorm:"primaryKey"`
	Kind       string `gorm:"primaryKey"`
	ID         string `gorm:"primaryKey"`
	Subject    string
	Email      string
	At         time.Time
	ExpiresAt  *time.Time
	Overdue    bool
}

func (pendingRow) TableName() string { return "pending_memberships" }

// pendingRows are the rows of membership m of worksite worksiteID.
func pendingRows(worksiteID string, m domain.Membership) []pendingRow {
	var rows []pendingRow
	for _, p := range domain.PendingMemberships(domain.Worksite{ID: worksiteID}, m) {
		rows = append(rows, pendingRow{WorksiteID: worksiteID, Kind: string(p.Kind), ID: p.ID, Subject: p.Subject,
			Email: p.Email, At: p.At.UTC(), ExpiresAt: utcPtr(p.ExpiresAt), Overdue: p.Overdue})
	}
	return rows
}

// savePending rebuilds worksiteID's pending rows in transaction tx.
func savePending(tx *gorm.DB, worksiteID string, m domain.Membership) error {
	if err := tx.Where("worksite_id = ?", worksiteID).Delete(&pendingRow{}).Error; err != nil {
		return err
	}
	rows := pendingRows(worksiteID, m)
	if len(rows) == 0 {
		return nil
	}
	return tx.CreateInBatches(rows, memberBatch).Error
}

// PendingForPerson lists the open join requests subject sent and the
// open invitations to email (any case; "" for none), oldest first, with
// their worksites' names and addresses. Invitations past their expiry are
// left out even before the workflow removes them.
func (s *Store) PendingForPerson(ctx context.Context, subject, email string, now time.Time) ([]domain.PendingMembership, error) {
	out := []domain.PendingMembership{}
	if subject == "" {
		return out, nil
	}
	type row struct {
		WorksiteID, Kind, ID, Subject, Email                             string
		At                                                               time.Time
		ExpiresAt                                                        *time.Time
		Overdue                                                          bool
		Name, Unit, StreetNumber, StreetName, City, Province, PostalCode string
	}
	var rows []row
	q := s.db.WithContext(ctx).Table("pending_memberships AS p").Joins("JOIN worksites AS w ON w.id = p.worksite_id").
		Select("p.worksite_id, p.kind, p.id, p.subject, p.email, p.at, p.expires_at, p.overdue, " +
			"w.name, w.unit, w.street_number, w.street_name, w.city, w.province, w.postal_code")
	cond := s.db.Where("p.kind = ? AND p.subject = ?", string(domain.PendingJoinRequest), subject)
	if email = strings.ToLower(strings.TrimSpace(email)); email != "" {
		cond = cond.Or("p.kind = ? AND p.email = ? AND p.expires_at > ?", string(domain.PendingInvitation), email, now.UTC())
	}
	if err := q.Where(cond).Order("p.at, p.worksite_id, p.id").Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	for _, r := range rows {
		addr := domain.Address{Unit: r.Unit, StreetNumber: r.StreetNumber, StreetName: r.StreetName, City: r.City,
			Province: r.Province, PostalCode: r.PostalCode}
		out = append(out, domain.PendingMembership{Kind: domain.PendingKind(r.Kind), ID: r.ID, WorksiteID: r.WorksiteID,
			WorksiteName: r.Name, AddressLine: addr.String(), Subject: r.Subject, Email: r.Email, At: r.At.UTC(),
			ExpiresAt: utcPtr(r.ExpiresAt), Overdue: r.Overdue})
	}
	return out, nil
}

// PersonWorksites lists the IDs of the worksites where subject is a
// member (active or not) or has an open join request, each once, in ID
// order: where a change of their profession, name or email must reach.
func (s *Store) PersonWorksites(ctx context.Context, subject string) ([]string, error) {
	out := []string{}
	if subject == "" {
		return out, nil
	}
	err := s.db.WithContext(ctx).Raw(`SELECT worksite_id FROM memberships WHERE subject = ?
		UNION SELECT worksite_id FROM pending_memberships WHERE kind = ? AND subject = ?
		UNION SELECT id FROM worksites WHERE admin_subject = ? AND membership_json = ?
		ORDER BY 1`, subject, string(domain.PendingJoinRequest), subject, subject, unprojected).Scan(&out).Error
	if err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// pendingVersion is the migration that adds pending_memberships.
const pendingVersion = 40

// pendingMemberships is migration 40: the pending_memberships table
// (timestamptz on PostgreSQL, as every time column there), filled from
// the membership JSON already projected.
func pendingMemberships(dialect string) *goose.Migration {
	up := func(ctx context.Context, tx *sql.Tx) error {
		ts := "TIMESTAMP"
		if dialect == Postgres {
			ts = "TIMESTAMPTZ"
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE pending_memberships (
			worksite_id VARCHAR(7) NOT NULL REFERENCES worksites (id) ON DELETE CASCADE,
			kind        TEXT NOT NULL,
			id          TEXT NOT NULL,
			subject     TEXT NOT NULL DEFAULT '',
			email       TEXT NOT NULL DEFAULT '',
			at          `+ts+` NOT NULL,
			expires_at  `+ts+` NULL,
			overdue     BOOLEAN NOT NULL DEFAULT FALSE,
			PRIMARY KEY (worksite_id, kind, id))`); err != nil {
			return err
		}
		for _, stmt := range []string{
			"CREATE INDEX pending_memberships_subject ON pending_memberships (subject)",
			"CREATE INDEX pending_memberships_email ON pending_memberships (email)",
		} {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return backfillPending(ctx, tx, dialect)
	}
	down := func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DROP TABLE pending_memberships")
		return err
	}
	return goose.NewGoMigration(pendingVersion, &goose.GoFunc{RunTx: up}, &goose.GoFunc{RunTx: down})
}

// backfillPending fills pending_memberships from every projected membership.
func backfillPending(ctx context.Context, tx *sql.Tx, dialect string) error {
	rows, err := tx.QueryContext(ctx, "SELECT id, membership_json FROM worksites WHERE membership_json <> '"+unprojected+"'")
	if err != nil {
		return err
	}
	var all []pendingRow
	for rows.Next() {
		var id, js string
		if err := rows.Scan(&id, &js); err != nil {
			rows.Close()
			return err
		}
		var m domain.Membership
		if err := json.Unmarshal([]byte(js), &m); err != nil {
			continue // an unreadable projection is rewritten by the workflow's next change
		}
		all = append(all, pendingRows(id, m)...)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	stmt := "INSERT INTO pending_memberships (worksite_id, kind, id, subject, email, at, expires_at, overdue) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	if dialect == Postgres {
		stmt = "INSERT INTO pending_memberships (worksite_id, kind, id, subject, email, at, expires_at, overdue) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
	}
	for _, r := range all {
		if _, err := tx.ExecContext(ctx, stmt, r.WorksiteID, r.Kind, r.ID, r.Subject, r.Email, r.At, r.ExpiresAt, r.Overdue); err != nil {
			return err
		}
	}
	return nil
}
