package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"careconnect/domain"
)

// RequeueEmail makes the email under key due at now again, for an
// operator who fixed what made it fail: pending, no attempts, and a
// fresh retry window (its queue time is now). Errors: ENOTFOUND;
// ECONFLICT when it was sent or skipped, or has no payload to render
// (logged before the outbox); EUNAVAILABLE.
func (s *Store) RequeueEmail(ctx context.Context, key string, now time.Time) error {
	var row emailRow
	if err := s.db.WithContext(ctx).Where("idempotency_key = ?", key).Take(&row).Error; err != nil {
		return translate(err)
	}
	switch {
	case row.Status != EmailPending && row.Status != EmailFailed:
		return domain.Errorf(domain.ECONFLICT, "the email is %s; only a pending or failed email is sent again", row.Status)
	case row.Payload == "":
		return domain.Errorf(domain.ECONFLICT, "the email was logged before the outbox and cannot be rendered again")
	}
	res := s.db.WithContext(ctx).Model(&emailRow{}).Where("idempotency_key = ? AND status IN ?", key, []string{EmailPending, EmailFailed}).
		Updates(map[string]any{"status": EmailPending, "attempts": 0, "next_attempt_at": now.UTC(), "created_at": now.UTC()})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.Errorf(domain.ECONFLICT, "the email changed meanwhile; look at it again")
	}
	return nil
}

// AuditRange returns the audit records at or after from and before to,
// oldest first, at most limit. Errors: EUNAVAILABLE.
func (s *Store) AuditRange(ctx context.Context, from, to time.Time, limit int) ([]domain.AuditEvent, error) {
	return s.readAudit(ctx, func(q *gorm.DB) *gorm.DB {
		return q.Where("a.at >= ? AND a.at < ?", from.UTC(), to.UTC()).Limit(limit)
	})
}
