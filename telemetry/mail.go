package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"careconnect/mail"
)

// Mailer sends one email. *mail.Sender implements it.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// TracedMailer makes a client span of each SMTP send: how many
// recipients and how it ended, never the addresses or the subject.
type TracedMailer struct {
	Mailer Mailer
	Tracer trace.Tracer
}

// Send implements relay.Mailer.
func (t TracedMailer) Send(ctx context.Context, m mail.Message) error {
	ctx, span := t.Tracer.Start(ctx, "smtp send", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.Int("mail.recipients", len(m.To))))
	defer span.End()
	err := t.Mailer.Send(ctx, m)
	if err != nil {
		span.SetStatus(codes.Error, "send failed")
		span.SetAttributes(attribute.Bool("mail.permanent", mail.IsPermanent(err)))
	}
	return err
}
