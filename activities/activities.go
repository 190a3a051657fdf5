// Package activities holds the side effects of the enrolment workflows:
// the projection of each workflow task (its status, membership or
// applications, audit records and outbox) written in one transaction. It
// is idempotent: a retry or a replay writes nothing new. Emails are no
// activities: the projection puts them in the outbox, and the worker's
// relay (package relay) sends them.
package activities

import (
	"context"
	"log/slog"

	"careconnect/domain"
)

// Store is the storage the activities need. *store.Store implements it.
type Store interface {
	// ApplyProjection writes what one workflow task changed, in one
	// transaction: first the business writes the workflow owns
	// (domain.Write; those refused for a business reason are rolled back
	// alone and reported), then statuses, membership and applications
	// unless newer ones are stored, audit records, emails and member
	// notices once per key. Errors: ENOTFOUND for an unknown worksite;
	// ECONFLICT for a membership listing a subject twice.
	ApplyProjection(ctx context.Context, p domain.Projection) (domain.ProjectResult, error)
}

// Outbox is told when a projection write stored emails or notices, so the
// relay in this process sends them at once rather than at its next
// round. *relay.Relay implements it.
type Outbox interface {
	Wake()
}

// Activities holds the dependencies of every activity. Register a pointer
// to it with the worker.
type Activities struct {
	Store Store
	// Outbox, when set, is woken after a write that stored emails or notices.
	Outbox Outbox
	// Metrics, when set, counts the escalations and SLA breaches a
	// projection write tells the team of.
	Metrics SLAMetrics
	// Log, when set, records each projection write with the request IDs
	// of the actions it carries.
	Log *slog.Logger
}

// SLAMetrics counts the team's SLA events. *telemetry.Metrics implements it.
type SLAMetrics interface {
	// Escalation and Breach count one review escalated or past its SLA;
	// subject is "application" or "worksite".
	Escalation(subject string)
	Breach(subject string)
}
