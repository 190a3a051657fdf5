package enrolment

import (
	"context"
	"errors"
	"time"

	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/workflows"
)

// learningHubDeliveryTimeout bounds the signals one request sends: a slow
// workflow service delays the callback's answer by at most this, and what
// was not delivered is delivered later (the event is stored and stays
// pending).
const learningHubDeliveryTimeout = 5 * time.Second

// LearningHubCallback ingests a LearningHub callback (DOMAIN "LearningHub
// callbacks"): header is its signature header, body the request body. The
// signature is checked before anything else and nothing is stored for a
// refused callback; an accepted event is stored before the answer, then
// delivered to the learner's workflow when an account holds their
// learningHubId or has confirmed their address (else when one confirms
// it). It says whether the event was stored before (LearningHub
// retrying). Errors: EUNAUTHORIZED (the signature), EINVALID (the event),
// EUNAVAILABLE (not stored: LearningHub must retry).
func (s *Service) LearningHubCallback(ctx context.Context, by Caller, header string, body []byte) (duplicate bool, err error) {
	cfg := s.cfg.LearningHub
	now := s.now().UTC()
	if err := s.hub.Verify(header, body, now, cfg.Tolerance); err != nil {
		s.log.Warn("learninghub callback refused", "request_id", by.RequestID, "reason", err)
		return false, signatureError(err)
	}
	e, err := learninghub.ParseEvent(body)
	if err != nil {
		return false, err
	}
	dup, err := s.store.RecordLearningHubEvent(ctx, domain.LearningHubEvent{EventID: e.EventID, Type: e.Type,
		CourseCode: e.CourseCode, Email: e.Learner.Email, LearningHubID: e.Learner.LearningHubID, OccurredAt: e.OccurredAt,
		ReceivedAt: now, Body: string(body)})
	if err != nil {
		// Never an acknowledgement of an event that is not stored: LearningHub must retry.
		if domain.ErrorCode(err) != domain.EUNAVAILABLE {
			err = errors.Join(domain.Errorf(domain.EUNAVAILABLE, "the event could not be stored; retry shortly"), err)
		}
		return false, err
	}
	// A duplicate is LearningHub retrying: a good moment to retry delivery too.
	s.deliverLearningHub(ctx, e.Learner.Email, e.Learner.LearningHubID)
	return dup, nil
}

// signatureError turns a verification failure into the refusal the caller sees.
func signatureError(err error) error {
	switch {
	case errors.Is(err, learninghub.ErrNoSignature):
		return domain.Errorf(domain.EUNAUTHORIZED, "the %s header is missing", learninghub.Header)
	case errors.Is(err, learninghub.ErrStale):
		return domain.Errorf(domain.EUNAUTHORIZED, "the signature's timestamp is outside the accepted window")
	}
	return domain.Errorf(domain.EUNAUTHORIZED, "the %s header does not match the body", learninghub.Header)
}

// deliverLearningHub delivers the pending events of a learner (those for
// email, and those with learningHubID) to the accounts they belong to
// (LearnerSubject: the account bound to the event's learningHubId, else
// the account that has confirmed its address), oldest first, marking each
// delivered once the signal is sent; an event no account can take yet
// stays pending. It stops at the first failure; what is left stays pending
// and is delivered on a later callback for the learner or when an address
// is confirmed. The workflow ignores an event it has seen, so delivering
// twice is safe.
func (s *Service) deliverLearningHub(ctx context.Context, email, learningHubID string) {
	ctx, cancel := context.WithTimeout(ctx, learningHubDeliveryTimeout)
	defer cancel()
	pending, err := s.store.PendingLearningHubEvents(ctx, email, learningHubID)
	if err != nil {
		s.log.Warn("learninghub: pending events not read", "error", err)
		return
	}
	cfg := s.cfg.LearningHub
	for _, p := range pending {
		to := "" // another course: nothing for CareConnect to apply, whoever the learner is
		if (learninghub.Event{Type: p.Type, CourseCode: p.CourseCode}).Counts(cfg.CourseCode, cfg.AgreementCode) {
			subject, err := s.store.LearnerSubject(ctx, p.Email, p.LearningHubID)
			switch domain.ErrorCode(err) {
			case "":
			case domain.ENOTFOUND:
				continue // kept until an account confirms the address
			default:
				s.log.Warn("learninghub: account lookup failed; events stay pending", "event_id", p.EventID, "error", err)
				return
			}
			err = s.wf.Signal(ctx, workflows.UserWorkflowID(subject), workflows.SignalLearningHub,
				workflows.LearningHubEvent{EventID: p.EventID, Type: p.Type, CourseCode: p.CourseCode, OccurredAt: p.OccurredAt})
			if err != nil {
				s.log.Warn("learninghub: event not delivered; it stays pending", "event_id", p.EventID, "subject", subject, "error", err)
				return
			}
			to = subject
		}
		if err := s.store.MarkLearningHubDelivered(ctx, p.EventID, to); err != nil {
			s.log.Warn("learninghub: delivered event not marked; it will be delivered again", "event_id", p.EventID, "error", err)
			return
		}
	}
}
