package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"careconnect/domain"
)

// LearningHubEvent is domain.LearningHubEvent: the read model is the domain's, so the
// application layer names it without importing the store.
type LearningHubEvent = domain.LearningHubEvent

type learningHubEventRow struct {
	EventID       string `gorm:"primaryKey"`
	Type          string
	CourseCode    string
	Email         string
	LearningHubID string `gorm:"column:learninghub_id"`
	OccurredAt    time.Time
	ReceivedAt    time.Time
	Body          string
	DeliveredAt   *time.Time
	Subject       string
}

func (learningHubEventRow) TableName() string { return "learninghub_events" }

func (r learningHubEventRow) event() LearningHubEvent {
	e := LearningHubEvent{EventID: r.EventID, Type: r.Type, CourseCode: r.CourseCode, Email: r.Email,
		LearningHubID: r.LearningHubID, OccurredAt: r.OccurredAt.UTC(), ReceivedAt: r.ReceivedAt.UTC(), Body: r.Body,
		Subject: r.Subject}
	if r.DeliveredAt != nil {
		d := r.DeliveredAt.UTC()
		e.DeliveredAt = &d
	}
	return e
}

// RecordLearningHubEvent stores e unless an event with its ID is already
// stored, in which case it changes nothing and reports duplicate. The
// insert and the check are one statement, so concurrent deliveries of the
// same event store it once. Errors: EUNAVAILABLE.
func (s *Store) RecordLearningHubEvent(ctx context.Context, e LearningHubEvent) (duplicate bool, err error) {
	row := learningHubEventRow{EventID: e.EventID, Type: e.Type, CourseCode: e.CourseCode, Email: strings.ToLower(e.Email),
		LearningHubID: e.LearningHubID, OccurredAt: e.OccurredAt.UTC(), ReceivedAt: e.ReceivedAt.UTC(), Body: e.Body}
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "event_id"}}, DoNothing: true}).Create(&row)
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected == 0, nil
}

// PendingLearningHubEvents returns the undelivered events of a learner,
// oldest first: those for email, and those with learningHubID (when set).
func (s *Store) PendingLearningHubEvents(ctx context.Context, email, learningHubID string) ([]LearningHubEvent, error) {
	var rows []learningHubEventRow
	q := s.db.WithContext(ctx).Where("delivered_at IS NULL")
	if learningHubID != "" {
		q = q.Where("email = ? OR learninghub_id = ?", strings.ToLower(email), learningHubID)
	} else {
		q = q.Where("email = ?", strings.ToLower(email))
	}
	if err := q.Order("occurred_at, event_id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]LearningHubEvent, len(rows))
	for i, r := range rows {
		out[i] = r.event()
	}
	return out, nil
}

// GetLearningHubEvent returns one stored event. Errors: ENOTFOUND.
func (s *Store) GetLearningHubEvent(ctx context.Context, eventID string) (LearningHubEvent, error) {
	var r learningHubEventRow
	if err := s.db.WithContext(ctx).First(&r, "event_id = ?", eventID).Error; err != nil {
		return LearningHubEvent{}, translate(err)
	}
	return r.event(), nil
}

// CountLearningHubEvents counts stored events; tests use it to prove a
// refused callback stored nothing.
func (s *Store) CountLearningHubEvents(ctx context.Context) (int64, error) {
	var n int64
	return n, translate(s.db.WithContext(ctx).Model(&learningHubEventRow{}).Count(&n).Error)
}

// MarkLearningHubDelivered records that an event reached subject's
// workflow (subject is empty for an event that concerns no workflow). A
// delivered event stays delivered: marking it again changes nothing. The
// first event delivered to an account binds its learningHubId to the
// account, unless the account has one or another account holds that ID
// (LearnerSubject routes later events by it). Errors: ENOTFOUND.
func (s *Store) MarkLearningHubDelivered(ctx context.Context, eventID, subject string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row learningHubEventRow
		if err := tx.First(&row, "event_id = ?", eventID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return domain.Errorf(domain.ENOTFOUND, "no LearningHub event %s", eventID)
			}
			return err
		}
		res := tx.Model(&learningHubEventRow{}).Where("event_id = ? AND delivered_at IS NULL", eventID).
			Updates(map[string]any{"delivered_at": time.Now().UTC(), "subject": subject})
		if res.Error != nil || res.RowsAffected == 0 || subject == "" || row.LearningHubID == "" {
			return res.Error
		}
		return tx.Exec(`UPDATE accounts SET learninghub_id = ? WHERE subject = ? AND learninghub_id = ''
			AND NOT EXISTS (SELECT 1 FROM accounts other WHERE other.learninghub_id = ?)`, row.LearningHubID, subject, row.LearningHubID).Error
	})
	if de := asDomain(err); de != nil {
		return de
	}
	return translate(err)
}

// LearnerSubject returns the account a LearningHub event for a learner
// goes to: the account bound to learningHubID when there is one, else the
// account whose confirmed address is email (compared lower-case). An
// unconfirmed address binds nothing. Errors: ENOTFOUND.
func (s *Store) LearnerSubject(ctx context.Context, email, learningHubID string) (string, error) {
	db := s.db.WithContext(ctx)
	var rows []accountRow
	if learningHubID != "" {
		if err := db.Select("subject").Where("learninghub_id = ?", learningHubID).Limit(1).Find(&rows).Error; err != nil {
			return "", translate(err)
		}
		if len(rows) == 1 {
			return rows[0].Subject, nil
		}
	}
	err := db.Select("subject").Where("email = ? AND email_confirmed_at IS NOT NULL", strings.ToLower(email)).Limit(1).Find(&rows).Error
	if err != nil {
		return "", translate(err)
	}
	if len(rows) == 0 {
		return "", domain.Errorf(domain.ENOTFOUND, "no account has confirmed that address or holds that LearningHub ID")
	}
	return rows[0].Subject, nil
}
