package enrolment

import (
	"context"
	"time"

	"careconnect/domain"
)

// Learner names a LearningHub learner by what their events carry.
type Learner struct {
	Email         string
	LearningHubID string
}

// OperationsStore is what the operators' commands need of storage beyond
// Store (app adapts *store.Store to it).
type OperationsStore interface {
	// RequeueEmail makes the email under key due at now again, with a
	// fresh retry window. Errors: ENOTFOUND; ECONFLICT (sent, skipped, or
	// nothing to render); EUNAVAILABLE.
	RequeueEmail(ctx context.Context, key string, now time.Time) error
	// AuditRange returns the audit records in [from, to), oldest first,
	// at most limit. Errors: EUNAVAILABLE.
	AuditRange(ctx context.Context, from, to time.Time, limit int) ([]domain.AuditEvent, error)
	// PendingLearners returns up to limit learners with an undelivered
	// event received at or before before that an account can take now.
	// Errors: EUNAVAILABLE.
	PendingLearners(ctx context.Context, before time.Time, limit int) ([]Learner, error)
}

// MaxAuditRange bounds one audit export.
const MaxAuditRange = 100000

// operator refuses anyone but the enrolment team: the operators' commands
// act as the team (their caller is a team principal naming the operator).
func (s *Service) operator(by Caller) error {
	switch {
	case by.Principal == nil:
		return domain.Errorf(domain.EUNAUTHORIZED, "sign in first")
	case by.Principal.Role != domain.RoleTeam:
		return domain.Errorf(domain.EFORBIDDEN, "only the enrolment team operates the service")
	case s.ops == nil:
		return domain.Errorf(domain.EUNAVAILABLE, "operations are not configured")
	}
	return nil
}

// ResendEmail sends a stuck or failed email again: it is due now, with a
// fresh retry window, and the relay renders it against the worksite and
// account as they are now. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND,
// ECONFLICT, EUNAVAILABLE.
func (s *Service) ResendEmail(ctx context.Context, by Caller, key string) error {
	if err := s.operator(by); err != nil {
		return err
	}
	if err := s.ops.RequeueEmail(ctx, key, s.now()); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "email queued again by an operator", "key", key, "by", by.Principal.Subject, "request_id", by.RequestID)
	return nil
}

// RedeliverLearningHub delivers now the pending LearningHub events that
// an account can take (what the worker's relay does every round), and
// returns how many learners it tried. An event whose delivery fails stays
// pending. Errors: EUNAUTHORIZED, EFORBIDDEN, EUNAVAILABLE.
func (s *Service) RedeliverLearningHub(ctx context.Context, by Caller) (int, error) {
	if err := s.operator(by); err != nil {
		return 0, err
	}
	learners, err := s.ops.PendingLearners(ctx, s.now(), 1000)
	if err != nil {
		return 0, err
	}
	for _, l := range learners {
		s.deliverLearningHub(ctx, l.Email, l.LearningHubID)
	}
	return len(learners), nil
}

// AuditRange is the audit records in [from, to), oldest first, at most
// MaxAuditRange. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, EUNAVAILABLE.
func (s *Service) AuditRange(ctx context.Context, by Caller, from, to time.Time) ([]domain.AuditEvent, error) {
	if err := s.operator(by); err != nil {
		return nil, err
	}
	if !to.After(from) {
		return nil, domain.Errorf(domain.EINVALID, "the range must end after it begins")
	}
	return s.ops.AuditRange(ctx, from, to, MaxAuditRange)
}
