package activities

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"careconnect/domain"
	"careconnect/links"
	"careconnect/mail"
)

// SendWorksiteEmail renders and sends one worksite email. It is idempotent:
// the email log in the database is claimed under in.Key before sending and
// marked sent after, so a retried or replayed activity never sends twice.
func (a *Activities) SendWorksiteEmail(ctx context.Context, in domain.WorksiteEmail) error {
	w, err := a.Store.GetWorksite(ctx, in.WorksiteID)
	if err != nil {
		return retryable(err)
	}
	data := mail.TemplateData{
		WorksiteID: w.ID, WorksiteName: w.Name, WorksiteAddress: w.Address.String(),
		Reason: in.Reason, Seq: in.Seq, SignerName: in.SignerName, SignerTitle: in.SignerTitle,
		Deadline: in.Deadline, PortalURL: a.Settings.PublicBaseURL, TeamEmail: a.Settings.TeamEmail,
		RegisteredAt: w.RegisteredAt,
	}
	if in.Kind == domain.MailReviewEscalated || in.Kind == domain.MailReviewBreached {
		data.BusinessDays = in.Seq // the workflow numbers these emails by business days waited
	}
	data.MemberName, data.MemberProfession, data.Comment, data.Change = in.MemberName, in.MemberProfession, in.Comment, in.Change
	var to []string
	switch {
	case len(in.Recipients) > 0:
		for _, p := range in.Recipients {
			to = append(to, p.Email)
		}
		if len(in.Recipients) == 1 {
			data.RecipientName = in.Recipients[0].Name
		}
	case in.To == domain.ToSiteAdmins:
		to, data.RecipientName = []string{w.Administrator.Email}, w.Administrator.Name
	case in.To == domain.ToEnrolmentTeam:
		to, data.RecipientName = []string{a.Settings.TeamEmail}, "CareConnect enrolment team"
	default:
		return temporal.NewNonRetryableApplicationError("no recipients for "+string(in.Kind), domain.EINVALID, nil)
	}
	switch {
	case needsDeclarationLink(in.Kind):
		data.LinkExpires = w.RegisteredAt.Add(a.Settings.DeclarationTTL)
		data.Link = a.declarationLink(w.ID, data.LinkExpires)
	case in.LinkPurpose != "":
		data.LinkExpires = in.LinkExpires
		if data.LinkExpires.IsZero() {
			data.LinkExpires = activity.GetInfo(ctx).ScheduledTime.Add(a.Settings.JoinLinkTTL)
		}
		data.Link = a.link(in.LinkPurpose, in.LinkSubject, data.LinkExpires)
	}
	r, err := mail.Render(in.Kind, data)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), domain.EINVALID, nil)
	}
	return a.deliver(ctx, in.Key, in.Kind, to, r)
}

// deliver sends a rendered email once per key: the email log is claimed
// before sending and marked after, so a retried activity finds it sent.
func (a *Activities) deliver(ctx context.Context, key string, kind domain.MailKind, to []string, r mail.Rendered) error {
	sent, err := a.Store.ClaimEmail(ctx, key, string(kind), to, r.Subject)
	if err != nil {
		return retryable(err)
	} else if sent {
		return nil
	}
	sendErr := a.Mailer.Send(ctx, mail.Message{To: to, Subject: r.Subject, Text: r.Text, HTML: r.HTML, IdempotencyKey: key})
	if err := a.Store.FinishEmail(ctx, key, sendErr); err != nil {
		// Delivered but not recorded: the retry re-sends with the same
		// Message-ID, the one duplicate a catcher or MTA can recognise.
		return retryable(err)
	}
	if sendErr != nil {
		if mail.IsPermanent(sendErr) {
			return temporal.NewNonRetryableApplicationError("email refused by the SMTP server", "smtp_permanent", sendErr)
		}
		return sendErr
	}
	return nil
}

func needsDeclarationLink(k domain.MailKind) bool {
	return k == domain.MailWorksiteRegistered || k == domain.MailDeclarationReminder
}

// linkPaths maps a link purpose to the portal page it opens.
var linkPaths = map[links.Purpose]string{
	links.PurposeDeclaration:  "/declaration/",
	links.PurposeJoinDecision: "/join-requests/",
	links.PurposeInvitation:   "/invitations/",
	// The page confirms the address; the token names the account and the link.
	links.PurposeEmailConfirmation: "/confirm-email/",
}

// link is a signed link for purpose and subject, expiring at exp.
func (a *Activities) link(p links.Purpose, subject string, exp time.Time) string {
	tok := a.Links.Sign(links.Claims{Purpose: p, Subject: subject, Expires: exp})
	return strings.TrimRight(a.Settings.PublicBaseURL, "/") + linkPaths[p] + tok
}

// declarationLink is the signed link a signing authority follows to sign
// worksiteID's declaration; it expires at exp.
func (a *Activities) declarationLink(worksiteID string, exp time.Time) string {
	return a.link(links.PurposeDeclaration, worksiteID, exp)
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
