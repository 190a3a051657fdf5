package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

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
	AppJSON      string `gorm:"column:app_json"`
	Seq          int
	UpdatedAt    time.Time
}

func (applicationRow) TableName() string { return "applications" }

// SaveApplication upserts an application's projection unless a newer one (higher seq) is stored.
func (s *Store) SaveApplication(ctx context.Context, subject, name, profession string, a domain.Application, seq int) error {
	js, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("store: application: %w", err)
	}
	row := applicationRow{Subject: subject, WorksiteID: a.Worksite.ID, Name: name, Profession: profession,
		LocationType: string(a.Worksite.Type.Type), State: string(a.State), SubmittedAt: a.SubmittedAt.UTC(),
		ReadySince: utcPtr(a.ReadySince), AppJSON: string(js), Seq: seq, UpdatedAt: time.Now().UTC()}
	return translate(s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "subject"}, {Name: "worksite_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"name", "profession", "location_type", "state", "submitted_at", "ready_since", "app_json", "seq", "updated_at"}),
		Where:     clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "applications.seq <= excluded.seq"}}},
	}).Create(&row).Error)
}

// QueuedApplication is one row of the team's application queue.
type QueuedApplication struct {
	Subject     string             `json:"subject"`
	Name        string             `json:"name"`
	Profession  string             `json:"profession"`
	Application domain.Application `json:"application"`
}

// ListApplications lists applications in state (all when empty), those
// waiting longest for the team first.
func (s *Store) ListApplications(ctx context.Context, state string, limit int) ([]QueuedApplication, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := s.db.WithContext(ctx).Model(&applicationRow{})
	if state != "" {
		q = q.Where("state = ?", state)
	}
	var rows []applicationRow
	if err := q.Order("ready_since").Order("submitted_at").Order("subject").Limit(limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]QueuedApplication, len(rows))
	for i, r := range rows {
		out[i] = QueuedApplication{Subject: r.Subject, Name: r.Name, Profession: r.Profession}
		if err := json.Unmarshal([]byte(r.AppJSON), &out[i].Application); err != nil {
			return nil, fmt.Errorf("store: application of %s: %w", r.Subject, err)
		}
	}
	return out, nil
}
