package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/store"
	"careconnect/workflows"
)

// maxLearningHubBody bounds a LearningHub callback body.
const maxLearningHubBody = 64 << 10

// learningHubDeliveryTimeout bounds the signals one request sends: a slow
// Temporal delays the callback's answer by at most this, and what was not
// delivered is delivered later (the event is stored and stays pending).
const learningHubDeliveryTimeout = 5 * time.Second

// LearningHubAck is the body of an accepted or duplicate callback.
type LearningHubAck struct {
	// Status is "accepted" (stored now) or "duplicate" (stored before).
	Status string `json:"status"`
}

// learningHubCallback ingests POST /webhooks/learninghub (DOMAIN
// "LearningHub callbacks"). The signature is checked before anything else
// and nothing is stored for a refused callback; an accepted event is
// stored before the answer, then delivered to the learner's workflow when
// an account holds their learningHubId or has confirmed their address
// (else when one confirms it).
func (s *Server) learningHubCallback(c *gin.Context) {
	header := c.GetHeader(learninghub.Header)
	if header == "" {
		writeError(c, s.log, domain.Errorf(domain.EUNAUTHORIZED, "the %s header is missing", learninghub.Header))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxLearningHubBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(c, s.log, domain.Errorf(domain.EINVALID, "the request body is larger than %d KiB", maxLearningHubBody>>10))
			return
		}
		writeError(c, s.log, domain.Errorf(domain.EINVALID, "the request body could not be read"))
		return
	}
	cfg := s.cfg.LearningHub
	now := s.now().UTC()
	if err := s.learningHub.Verify(header, body, now, cfg.Tolerance); err != nil {
		s.log.Warn("learninghub callback refused", "request_id", requestID(c), "reason", err)
		writeError(c, s.log, signatureError(err))
		return
	}
	e, err := learninghub.ParseEvent(body)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	ctx := c.Request.Context()
	dup, err := s.store.RecordLearningHubEvent(ctx, store.LearningHubEvent{EventID: e.EventID, Type: e.Type,
		CourseCode: e.CourseCode, Email: e.Learner.Email, LearningHubID: e.Learner.LearningHubID, OccurredAt: e.OccurredAt,
		ReceivedAt: now, Body: string(body)})
	if err != nil {
		// Never a 2xx for an event that is not stored: LearningHub must retry.
		if domain.ErrorCode(err) != domain.EUNAVAILABLE {
			err = errors.Join(domain.Errorf(domain.EUNAVAILABLE, "the event could not be stored; retry shortly"), err)
		}
		writeError(c, s.log, err)
		return
	}
	// A duplicate is LearningHub retrying: a good moment to retry delivery too.
	s.deliverLearningHub(ctx, e.Learner.Email, e.Learner.LearningHubID)
	if dup {
		c.JSON(http.StatusOK, LearningHubAck{Status: "duplicate"})
		return
	}
	c.JSON(http.StatusAccepted, LearningHubAck{Status: "accepted"})
}

// signatureError turns a verification failure into the 401 the caller sees.
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
// (store.LearnerSubject: the account bound to the event's learningHubId,
// else the account that has confirmed its address), oldest first, marking
// each delivered once the signal is sent; an event no account can take yet
// stays pending. It stops at the first failure; what is left stays pending
// and is delivered on a later callback for the learner or when an address
// is confirmed. The workflow ignores an event it has seen, so delivering
// twice is safe.
func (s *Server) deliverLearningHub(ctx context.Context, email, learningHubID string) {
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
			err = s.temporal.SignalWorkflow(ctx, workflows.UserWorkflowID(subject), "", workflows.SignalLearningHub,
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
