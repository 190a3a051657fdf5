package activities

import (
	"context"
	"errors"
	"slices"
	"strings"

	"go.temporal.io/sdk/activity"
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
	a.observe(ctx, p)
	return res, nil
}

// observe counts the SLA events p tells the team of (each email is
// stored once, so a retried write that stored nothing new may count
// again: a rare overcount, never a miss) and logs the write with the
// request IDs of its audit records, so a request's ID leads to the
// workflow task that carried its effects.
func (a *Activities) observe(ctx context.Context, p domain.Projection) {
	if a.Metrics != nil {
		for _, e := range p.Emails {
			subject := "application"
			if e.Worksite != nil {
				subject = "worksite"
			}
			switch e.Kind() {
			case domain.MailReviewEscalated:
				a.Metrics.Escalation(subject)
			case domain.MailReviewBreached:
				a.Metrics.Breach(subject)
			}
		}
	}
	if a.Log == nil {
		return
	}
	var ids []string
	for _, au := range p.Audits {
		if au.RequestID != "" && !slices.Contains(ids, au.RequestID) {
			ids = append(ids, au.RequestID)
		}
	}
	a.Log.InfoContext(ctx, "projection written", "workflow_type", workflowType(ctx), "request_ids", strings.Join(ids, ","),
		"audits", len(p.Audits), "emails", len(p.Emails), "notices", len(p.Notices))
}

// workflowType is the type of the workflow that runs the activity of ctx.
func workflowType(ctx context.Context) (name string) {
	defer func() {
		if recover() != nil { // not an activity context (a unit test)
			name = ""
		}
	}()
	return activity.GetInfo(ctx).WorkflowType.Name
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
