package activities

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"careconnect/domain"
	"careconnect/links"
	"careconnect/mail"
)

// SendUserEmail sends one email about a person's own account to the
// address on that account, once per in.Key.
func (a *Activities) SendUserEmail(ctx context.Context, in domain.UserEmail) error {
	acct, err := a.Store.GetAccount(ctx, in.Subject)
	if err != nil {
		return retryable(err)
	}
	name := acct.PreferredFirstName
	if name == "" {
		name = acct.LegalFirstName
	}
	to := []string{acct.Email}
	data := mail.TemplateData{RecipientName: name, Username: acct.Username, Seq: in.Seq,
		Deadline: in.Deadline, PortalURL: a.Settings.PublicBaseURL, TeamEmail: a.Settings.TeamEmail,
		WorksiteID: in.WorksiteID, WorksiteName: in.WorksiteName, Change: in.Change, Reason: in.Reason,
		BusinessRole: in.BusinessRole, ViewerURL: a.Settings.ViewerURL, NeedsHPCAA: in.NeedsHPCAA}
	if in.Kind == mail.KindEmailConfirmation {
		if in.EmailLink == "" || acct.EmailLink != in.EmailLink || acct.AwaitingEmail() == "" {
			// A later change (or the confirmation itself) replaced the
			// address: a link for it would confirm nothing.
			activity.GetLogger(ctx).Info("email confirmation link not sent: the address no longer awaits confirmation", "key", in.Key)
			return nil
		}
		to = []string{acct.AwaitingEmail()}
		data.LinkExpires = activity.GetInfo(ctx).ScheduledTime.Add(a.Settings.EmailConfirmationTTL)
		data.Link = a.link(links.PurposeEmailConfirmation, in.Subject+"/"+in.EmailLink, data.LinkExpires)
	}
	if in.ToTeam {
		in.Recipients = []domain.Person{{Name: "CareConnect enrolment team", Email: a.Settings.TeamEmail}}
	}
	if len(in.Recipients) > 0 {
		to, data.RecipientName, data.MemberName = nil, in.Recipients[0].Name, acct.DisplayName()
		for _, p := range in.Recipients {
			to = append(to, p.Email)
		}
	}
	r, err := mail.Render(in.Kind, data)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), domain.EINVALID, nil)
	}
	return a.deliver(ctx, in.Key, in.Kind, to, r)
}
