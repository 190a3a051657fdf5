package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"careconnect/domain"
)

// Project writes what one workflow task of an enrolment changed (a
// worksite's status and membership, or a person's status and applications,
// the audit records, and the emails and member notices for the outbox) in
// one transaction. The workflows run it as a local activity; it is
// idempotent, so a retry or a replay writes nothing new. Once it committed
// emails or notices, the relay is woken to send them. The result names the
// business writes (domain.Write) the store refused, so that the updates
// that carried them answer with the refusal.
func (a *Activities) Project(ctx context.Context, p domain.Projection) (domain.ProjectResult, error) {
	res, err := a.Store.ApplyProjection(ctx, p)
	if err != nil {
		return res, retryable(err)
	}
	if p.Outgoing() && a.Outbox != nil {
		a.Outbox.Wake()
	}
	return res, nil
}

// retryable keeps storage outages retryable and makes a missing record,
// which no retry can fix, final.
func retryable(err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) && (de.Code == domain.ENOTFOUND || de.Code == domain.EINVALID) {
		return temporal.NewNonRetryableApplicationError(de.Message, de.Code, err)
	}
	return err
}
