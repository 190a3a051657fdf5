package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"careconnect/domain"
)

// The outbox: what a workflow task sends once its change has committed.
// SaveProjection stores the task's emails (in email_log) and member notices
// (in notice_outbox) in the transaction that writes its change, once per
// idempotency key; the worker's relay claims them (ClaimEmails,
// ClaimNotices), sends them and records how each attempt ended
// (FinishEmail, FinishNotice).

// Outbox states: an email or a notice is pending (waiting, or retrying
// after a failed attempt), sent, or failed for good. An email confirmation
// whose address no longer awaits confirmation is skipped.
const (
	EmailPending = "pending"
	EmailSent    = "sent"
	EmailFailed  = "failed"
	EmailSkipped = "skipped"
)

// maxErrorText bounds the last error an outbox row keeps.
const maxErrorText = 500

// emailRow is the email_log table: one row per email event.
type emailRow struct {
	IdempotencyKey string `gorm:"primaryKey"`
	Kind           string
	// Recipients and Subject are what was sent (rendered at send time).
	Recipients string
	Subject    string
	Status     string
	Attempts   int
	LastError  string
	CreatedAt  time.Time
	SentAt     *time.Time
	// Payload is the domain.Email the workflow queued, as JSON.
	Payload       string
	NextAttemptAt *time.Time
}

func (emailRow) TableName() string { return "email_log" }

// Kinds of notice_outbox rows.
const (
	// NoticeMembership is a domain.MembershipNotice, to the workflow of its subject.
	NoticeMembership = "membership"
	// NoticeProfile is a domain.MemberProfileNotice, from its subject to
	// the workflow of each of their worksites.
	NoticeProfile = "profile"
)

// noticeRow is the notice_outbox table: one row per member notice or
// member profile notice.
type noticeRow struct {
	IdempotencyKey string `gorm:"primaryKey"`
	// Subject is the person whose workflow the notice is for (membership),
	// or whose worksites it goes to (profile).
	Subject string
	Seq     int
	// Kind is NoticeMembership or NoticeProfile.
	Kind string
	// Payload is the domain.MembershipNotice or MemberProfileNotice, as JSON.
	Payload       string
	Status        string
	Attempts      int
	LastError     string
	CreatedAt     time.Time
	NextAttemptAt *time.Time
	SentAt        *time.Time
}

func (noticeRow) TableName() string { return "notice_outbox" }

// insertOutbox stores p's emails and notices as pending, due now; a key
// already stored (a retried or replayed write) is left as it is.
func insertOutbox(tx *gorm.DB, p domain.Projection) error {
	now := time.Now().UTC()
	if len(p.Emails) > 0 {
		rows := make([]emailRow, len(p.Emails))
		for i, e := range p.Emails {
			if e.Key() == "" {
				return domain.Errorf(domain.EINVALID, "an email without an idempotency key")
			}
			b, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("store: email %s: %w", e.Key(), err)
			}
			rows[i] = emailRow{IdempotencyKey: e.Key(), Kind: string(e.Kind()), Status: EmailPending, CreatedAt: now,
				Payload: string(b), NextAttemptAt: &now}
		}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error; err != nil {
			return err
		}
	}
	notices := make([]noticeRow, 0, len(p.Notices)+len(p.ProfileNotices))
	for _, n := range p.Notices {
		r, err := newNoticeRow(NoticeMembership, "a member notice", n.Key, n.Subject, n.Seq, n, now)
		if err != nil {
			return err
		}
		notices = append(notices, r)
	}
	for _, n := range p.ProfileNotices {
		r, err := newNoticeRow(NoticeProfile, "a member profile notice", n.Key, n.Subject, n.Seq, n, now)
		if err != nil {
			return err
		}
		notices = append(notices, r)
	}
	if len(notices) > 0 {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&notices).Error; err != nil {
			return err
		}
	}
	return nil
}

// newNoticeRow is the pending notice_outbox row, due at now, of a notice
// of kind (what names it in an error) with its key, subject and seq.
func newNoticeRow(kind, what, key, subject string, seq int, notice any, now time.Time) (noticeRow, error) {
	if key == "" {
		return noticeRow{}, domain.Errorf(domain.EINVALID, "%s without an idempotency key", what)
	}
	b, err := json.Marshal(notice)
	if err != nil {
		return noticeRow{}, fmt.Errorf("store: notice %s: %w", key, err)
	}
	return noticeRow{IdempotencyKey: key, Subject: subject, Seq: seq, Kind: kind, Payload: string(b),
		Status: EmailPending, CreatedAt: now, NextAttemptAt: &now}, nil
}

// claimedRow is what a claim returns of a row.
type claimedRow struct {
	IdempotencyKey string
	Payload        string
	Attempts       int
	CreatedAt      time.Time
	Seq            int
	Kind           string
}

// claim takes up to limit pending rows of table that are due at now:
// each one's attempt is counted and its next attempt moved lease ahead, so
// that no other relay takes it while this one sends it. On PostgreSQL the
// rows are locked with SKIP LOCKED, so relays in several worker replicas
// claim different rows at once; SQLite is one process's. Only pending
// rows are taken: this is what keeps a sent email from being sent again.
func (s *Store) claim(ctx context.Context, table, columns, order string, now time.Time, limit int, lease time.Duration) ([]claimedRow, error) {
	lock := ""
	if s.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	// The state is written into the statement, not bound, so that
	// PostgreSQL can use the partial index of pending rows (*_due).
	q := fmt.Sprintf(`UPDATE %[1]s SET attempts = attempts + 1, next_attempt_at = ?
		WHERE idempotency_key IN (SELECT idempotency_key FROM %[1]s
			WHERE status = '%[5]s' AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?
			ORDER BY %[2]s LIMIT ?%[3]s)
		RETURNING %[4]s`, table, order, lock, columns, EmailPending)
	var rows []claimedRow
	if err := s.db.WithContext(ctx).Raw(q, now.Add(lease).UTC(), now.UTC(), limit).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].CreatedAt.Equal(rows[j].CreatedAt) {
			return rows[i].CreatedAt.Before(rows[j].CreatedAt)
		}
		if rows[i].Seq != rows[j].Seq {
			return rows[i].Seq < rows[j].Seq
		}
		return rows[i].IdempotencyKey < rows[j].IdempotencyKey
	})
	return rows, nil
}

// OutboxEmail is an email the relay claimed.
type OutboxEmail struct {
	Email domain.Email
	// Attempt numbers this claim's attempt (1 for the first).
	Attempt int
	// QueuedAt is when the change that asked for it committed; links in
	// the email expire counting from it.
	QueuedAt time.Time
}

// ClaimEmails claims up to limit pending emails due at now for one
// attempt each (see claim), oldest due first. Errors: EUNAVAILABLE.
func (s *Store) ClaimEmails(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]OutboxEmail, error) {
	rows, err := s.claim(ctx, "email_log", "idempotency_key, payload, attempts, created_at",
		"next_attempt_at, created_at", now, limit, lease)
	if err != nil {
		return nil, err
	}
	out := make([]OutboxEmail, 0, len(rows))
	for _, r := range rows {
		var e domain.Email
		if err := json.Unmarshal([]byte(r.Payload), &e); err != nil || e.Key() != r.IdempotencyKey {
			// Never sendable: give up on it rather than claim it forever.
			_ = s.FinishEmail(ctx, r.IdempotencyKey, r.Attempts, Outcome{Status: EmailFailed, Error: "unreadable outbox payload"})
			continue
		}
		out = append(out, OutboxEmail{Email: e, Attempt: r.Attempts, QueuedAt: r.CreatedAt.UTC()})
	}
	return out, nil
}

// Outcome is how one attempt at an outbox row ended.
type Outcome struct {
	// Status is EmailSent; EmailPending to try again at RetryAt;
	// EmailFailed for good; or EmailSkipped (an email no longer wanted).
	Status  string
	RetryAt time.Time
	// Error says why the attempt failed (or why it was skipped).
	Error string
	// To and Subject are what an email was rendered and sent as.
	To      []string
	Subject string
	// Audit, when set, is recorded in the same transaction as a final
	// outcome, so the subject's timeline says what became of it.
	Audit *domain.AuditEvent
}

// FinishEmail records how attempt ended for the email under key. A sent
// email stays sent whatever a late report of another attempt says; any
// other outcome counts only for the latest claim (attempt), so a relay
// whose claim lapsed cannot reschedule one that another relay holds.
func (s *Store) FinishEmail(ctx context.Context, key string, attempt int, o Outcome) error {
	upd, cond, err := finishUpdate(attempt, o)
	if err != nil {
		return err
	}
	if len(o.To) > 0 {
		upd["recipients"], upd["subject"] = strings.Join(o.To, ","), o.Subject
	}
	return s.finish(ctx, &emailRow{}, key, cond, upd, o.Audit)
}

// finish applies upd to model's row under key where cond holds and, when
// that changed the row, records audit in the same transaction.
func (s *Store) finish(ctx context.Context, model any, key string, cond func(*gorm.DB) *gorm.DB, upd map[string]any, audit *domain.AuditEvent) error {
	return translateTx(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r := cond(tx.Model(model).Where("idempotency_key = ?", key)).Updates(upd)
		if r.Error != nil || r.RowsAffected == 0 || audit == nil {
			return r.Error
		}
		return createAudit(tx, *audit)
	}))
}

// finishUpdate is the change and the condition of an outcome's record:
// a sent row stays sent whatever a late report of another attempt says;
// any other outcome counts only for the latest claim, so a relay whose
// claim lapsed cannot reschedule a row another relay holds.
func finishUpdate(attempt int, o Outcome) (map[string]any, func(*gorm.DB) *gorm.DB, error) {
	upd := map[string]any{"status": o.Status, "last_error": clipError(o.Error)}
	latest := func(q *gorm.DB) *gorm.DB { return q.Where("status = ? AND attempts = ?", EmailPending, attempt) }
	switch o.Status {
	case EmailSent:
		upd["sent_at"], upd["last_error"] = time.Now().UTC(), ""
		return upd, func(q *gorm.DB) *gorm.DB { return q.Where("status <> ?", EmailSent) }, nil
	case EmailPending:
		upd["next_attempt_at"] = o.RetryAt.UTC()
		return upd, latest, nil
	case EmailFailed, EmailSkipped:
		upd["next_attempt_at"] = nil
		return upd, latest, nil
	}
	return nil, nil, domain.Errorf(domain.EINVALID, "unknown outbox status %q", o.Status)
}

func clipError(s string) string {
	if len(s) > maxErrorText {
		return s[:maxErrorText]
	}
	return s
}

// OutboxNotice is a member notice, or a member profile notice, the relay claimed.
type OutboxNotice struct {
	// Notice is a member notice; Profile, when set, is a member profile
	// notice instead (Notice is then empty).
	Notice   domain.MembershipNotice
	Profile  *domain.MemberProfileNotice
	Attempt  int
	QueuedAt time.Time
}

// Key is the notice's idempotency key, whichever kind it is.
func (n OutboxNotice) Key() string {
	if n.Profile != nil {
		return n.Profile.Key
	}
	return n.Notice.Key
}

// ClaimNotices claims up to limit pending member notices due at now for
// one attempt each (see claim), in the order they were queued.
// Errors: EUNAVAILABLE.
func (s *Store) ClaimNotices(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]OutboxNotice, error) {
	rows, err := s.claim(ctx, "notice_outbox", "idempotency_key, payload, attempts, created_at, seq, kind",
		"created_at, seq", now, limit, lease)
	if err != nil {
		return nil, err
	}
	out := make([]OutboxNotice, 0, len(rows))
	for _, r := range rows {
		n := OutboxNotice{Attempt: r.Attempts, QueuedAt: r.CreatedAt.UTC()}
		var payload any = &n.Notice
		if r.Kind == NoticeProfile {
			n.Profile = new(domain.MemberProfileNotice)
			payload = n.Profile
		}
		if err := json.Unmarshal([]byte(r.Payload), payload); err != nil || n.Key() != r.IdempotencyKey {
			_ = s.FinishNotice(ctx, r.IdempotencyKey, r.Attempts, Outcome{Status: EmailFailed, Error: "unreadable outbox payload"})
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

// FinishNotice records how attempt ended for the notice under key, as
// FinishEmail does for an email.
func (s *Store) FinishNotice(ctx context.Context, key string, attempt int, o Outcome) error {
	upd, cond, err := finishUpdate(attempt, o)
	if err != nil {
		return err
	}
	return s.finish(ctx, &noticeRow{}, key, cond, upd, o.Audit)
}

// NoticeRecord is one member notice as the outbox holds it.
type NoticeRecord struct {
	Key       string
	Subject   string
	Status    string
	Attempts  int
	LastError string
	SentAt    *time.Time
}

// ListNotices returns the outbox's member notices whose key starts with prefix.
func (s *Store) ListNotices(ctx context.Context, prefix string) ([]NoticeRecord, error) {
	var rows []noticeRow
	if err := s.db.WithContext(ctx).Where("idempotency_key LIKE ? ESCAPE '\\'", escapeLike(prefix)+"%").
		Order("created_at").Order("seq").Order("idempotency_key").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]NoticeRecord, len(rows))
	for i, r := range rows {
		out[i] = NoticeRecord{Key: r.IdempotencyKey, Subject: r.Subject, Status: r.Status, Attempts: r.Attempts,
			LastError: r.LastError, SentAt: utcPtr(r.SentAt)}
	}
	return out, nil
}

// EmailRecord is one email event as logged.
// EmailRecord is domain.EmailRecord: the read model is the domain's, so the
// application layer names it without importing the store.
type EmailRecord = domain.EmailRecord

// ListEmails returns the email log entries whose key starts with prefix.
// An email not yet sent has no recipients: they are found when it is sent.
func (s *Store) ListEmails(ctx context.Context, prefix string) ([]EmailRecord, error) {
	var rows []emailRow
	if err := s.db.WithContext(ctx).Where("idempotency_key LIKE ? ESCAPE '\\'", escapeLike(prefix)+"%").Order("created_at").Order("idempotency_key").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]EmailRecord, len(rows))
	for i, r := range rows {
		to := []string{}
		if r.Recipients != "" {
			to = strings.Split(r.Recipients, ",")
		}
		out[i] = EmailRecord{Key: r.IdempotencyKey, Kind: r.Kind, Recipients: to, Subject: r.Subject, Status: r.Status,
			Attempts: r.Attempts, SentAt: utcPtr(r.SentAt), LastError: r.LastError, NextAttemptAt: utcPtr(r.NextAttemptAt)}
	}
	return out, nil
}

// Learner names a LearningHub learner by what their events carry.
type Learner struct {
	Email         string
	LearningHubID string
}

// PendingLearners returns up to limit learners with an undelivered
// LearningHub event received at or before before that an account can take
// now (the account bound to the event's learningHubId, or the one that has
// confirmed its address: LearnerSubject), the learner with the oldest
// such event first. Events nobody can take yet are not looked at again
// until an account can. Errors: EUNAVAILABLE.
func (s *Store) PendingLearners(ctx context.Context, before time.Time, limit int) ([]Learner, error) {
	var rows []struct {
		Email         string
		LearningHubID string `gorm:"column:learninghub_id"`
	}
	err := s.db.WithContext(ctx).Raw(`SELECT e.email, e.learninghub_id
		FROM learninghub_events e
		WHERE e.delivered_at IS NULL AND e.received_at <= ? AND (
			(e.learninghub_id <> '' AND EXISTS (SELECT 1 FROM accounts a WHERE a.learninghub_id = e.learninghub_id))
			OR EXISTS (SELECT 1 FROM accounts a WHERE a.email = e.email AND a.email_confirmed_at IS NOT NULL))
		GROUP BY e.email, e.learninghub_id
		ORDER BY MIN(e.received_at), e.email, e.learninghub_id
		LIMIT ?`, before.UTC(), limit).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]Learner, len(rows))
	for i, r := range rows {
		out[i] = Learner{Email: r.Email, LearningHubID: r.LearningHubID}
	}
	return out, nil
}
