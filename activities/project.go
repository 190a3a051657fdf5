package activities

import (
	"context"

	"careconnect/domain"
)

// Project writes what one workflow task of an enrolment changed (a
// worksite's status and membership, or a person's status and applications,
// and the audit records) in one transaction. The workflows run it as a
// local activity; it is idempotent, so a retry or a replay writes nothing new.
func (a *Activities) Project(ctx context.Context, p domain.Projection) error {
	return retryable(a.Store.SaveProjection(ctx, p))
}
