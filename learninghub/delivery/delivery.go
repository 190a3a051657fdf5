// Package delivery delivers stored LearningHub events to the user
// workflows of the accounts they belong to (DOMAIN "LearningHub
// callbacks": accepted events are stored before the answer, then
// delivered). The worker's relay calls it every few seconds for what is
// still pending, so an acknowledged event is applied once Temporal
// answers, with no other traffic; the API attempts it at once when a
// callback is stored or an address confirmed.
package delivery

import (
	"context"
	"log/slog"

	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/store"
	"careconnect/workflows"
)

// Store is the storage delivery needs. *store.Store implements it.
type Store interface {
	// PendingLearningHubEvents returns the undelivered events of a
	// learner, oldest first: those for email, and those with learningHubID.
	PendingLearningHubEvents(ctx context.Context, email, learningHubID string) ([]store.LearningHubEvent, error)
	// LearnerSubject returns the account the learner's events go to: the
	// one bound to learningHubID, else the one that confirmed email.
	// Errors: ENOTFOUND when no account can take them yet.
	LearnerSubject(ctx context.Context, email, learningHubID string) (string, error)
	// MarkLearningHubDelivered records that an event reached subject's
	// workflow ("" for an event that concerns no workflow), binding the
	// learningHubId to the account at the first. Errors: ENOTFOUND.
	MarkLearningHubDelivered(ctx context.Context, eventID, subject string) error
}

// Signaler sends a signal to a workflow. client.Client implements it.
type Signaler interface {
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg interface{}) error
}

// Deliverer delivers a learner's pending events.
type Deliverer struct {
	Store    Store
	Temporal Signaler
	// CourseCode and AgreementCode are the course and the HPCAA whose
	// events count (learninghub.Event.Counts); others are settled without effect.
	CourseCode, AgreementCode string
	Log                       *slog.Logger
}

// Learner delivers the pending events of a learner (those for email, and
// those with learningHubID) to the account they belong to
// (Store.LearnerSubject), oldest first, marking each delivered once its
// signal is sent; an event no account can take yet stays pending, and an
// event for another course is settled without a signal. It stops at the
// first failure and returns it: what is left stays pending for the next
// attempt. The workflow ignores an event it has seen, so delivering one
// twice is safe.
func (d Deliverer) Learner(ctx context.Context, email, learningHubID string) error {
	pending, err := d.Store.PendingLearningHubEvents(ctx, email, learningHubID)
	if err != nil {
		return err
	}
	for _, p := range pending {
		to := "" // another course: nothing for CareConnect to apply, whoever the learner is
		if (learninghub.Event{Type: p.Type, CourseCode: p.CourseCode}).Counts(d.CourseCode, d.AgreementCode) {
			subject, err := d.Store.LearnerSubject(ctx, p.Email, p.LearningHubID)
			switch domain.ErrorCode(err) {
			case "":
			case domain.ENOTFOUND:
				continue // kept until an account confirms the address
			default:
				return err
			}
			err = d.Temporal.SignalWorkflow(ctx, workflows.UserWorkflowID(subject), "", workflows.SignalLearningHub,
				workflows.LearningHubEvent{EventID: p.EventID, Type: p.Type, CourseCode: p.CourseCode, OccurredAt: p.OccurredAt})
			if err != nil {
				return err
			}
			to = subject
		}
		if err := d.Store.MarkLearningHubDelivered(ctx, p.EventID, to); err != nil {
			// Signalled but not marked: it is delivered again, which changes nothing.
			return err
		}
		if d.Log != nil {
			d.Log.Debug("learninghub event delivered", "event_id", p.EventID, "subject", to)
		}
	}
	return nil
}
