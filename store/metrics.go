package store

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// StateCount is how many enrolments of a kind are in a state, waiting on someone.
type StateCount struct {
	Kind      string // worksite, person or application
	State     string
	WaitingOn string
	Escalated bool
	Breached  bool
	N         int64
}

// Gauges is what the projections say at one moment, for the metrics an
// operator watches (telemetry.ProjectionCollector).
type Gauges struct {
	Enrolments []StateCount
	// LearningHubPending counts stored events not yet delivered (some wait
	// for an account to exist); LearningHubDeliverable those an account can
	// take now (PendingLearners), and LearningHubOldest is when the oldest
	// of these was received (zero when none): the relay's backlog.
	LearningHubPending     int64
	LearningHubDeliverable int64
	LearningHubOldest      time.Time
	// EmailsPending counts emails waiting to be sent; EmailsRetrying the
	// ones among them that failed at least once, and EmailOldestRetrying
	// is when the oldest of those was queued (zero when none).
	EmailsPending       int64
	EmailsRetrying      int64
	EmailOldestRetrying time.Time
}

// Gauges reads the counts behind the projection gauges: a few grouped
// counts over indexed columns. Errors: EUNAVAILABLE.
func (s *Store) Gauges(ctx context.Context) (Gauges, error) {
	var g Gauges
	db := s.db.WithContext(ctx)
	for _, t := range []struct{ kind, table, flags, group string }{
		{"worksite", "worksites", "escalated, breached", ", escalated, breached"},
		{"person", "people", "FALSE AS escalated, FALSE AS breached", ""},
		{"application", "applications", "escalated, FALSE AS breached", ", escalated"},
	} {
		var rows []StateCount
		err := db.Table(t.table).Select("state, waiting_on, " + t.flags + ", COUNT(*) AS n").
			Group("state, waiting_on" + t.group).Scan(&rows).Error
		if err != nil {
			return Gauges{}, translate(err)
		}
		for i := range rows {
			rows[i].Kind = t.kind
		}
		g.Enrolments = append(g.Enrolments, rows...)
	}
	if err := db.Table("learninghub_events").Where("delivered_at IS NULL").Count(&g.LearningHubPending).Error; err != nil {
		return Gauges{}, translate(err)
	}
	if g.LearningHubPending > 0 {
		deliverable := db.Table("learninghub_events AS e").Where(`e.delivered_at IS NULL AND (
			(e.learninghub_id <> '' AND EXISTS (SELECT 1 FROM accounts a WHERE a.learninghub_id = e.learninghub_id))
			OR EXISTS (SELECT 1 FROM accounts a WHERE a.email = e.email AND a.email_confirmed_at IS NOT NULL))`)
		if err := deliverable.Session(&gorm.Session{}).Count(&g.LearningHubDeliverable).Error; err != nil {
			return Gauges{}, translate(err)
		}
		var oldest struct{ ReceivedAt time.Time }
		if g.LearningHubDeliverable > 0 {
			if err := deliverable.Session(&gorm.Session{}).Select("e.received_at").Order("e.received_at").Limit(1).Scan(&oldest).Error; err != nil {
				return Gauges{}, translate(err)
			}
		}
		g.LearningHubOldest = oldest.ReceivedAt
	}
	if err := db.Table("email_log").Where("status = ?", EmailPending).Count(&g.EmailsPending).Error; err != nil {
		return Gauges{}, translate(err)
	}
	if err := db.Table("email_log").Where("status = ? AND attempts > 0", EmailPending).Count(&g.EmailsRetrying).Error; err != nil {
		return Gauges{}, translate(err)
	}
	if g.EmailsRetrying > 0 {
		var oldest struct{ CreatedAt time.Time }
		if err := db.Table("email_log").Select("created_at").Where("status = ? AND attempts > 0", EmailPending).
			Order("created_at").Limit(1).Scan(&oldest).Error; err != nil {
			return Gauges{}, translate(err)
		}
		g.EmailOldestRetrying = oldest.CreatedAt
	}
	return g, nil
}
