package relay

import (
	"context"
	"fmt"
	"strings"
	"time"

	"careconnect/domain"
	"careconnect/links"
	"careconnect/mail"
	"careconnect/store"
)

// render resolves a claimed email's recipients and renders it, as things
// stand now: a worksite email goes to the worksite's administrators or the
// team as the workflow named them, with the worksite's current name and
// address; a person's email goes to the account's current address and
// name (DOMAIN: every later email goes to the current address). Signed
// links are minted here, expiring counting from when the email was queued,
// so every attempt renders the same link. Errors: ENOTFOUND (the worksite
// or account is gone), EINVALID (no recipients, a bad template), errSkip,
// or the store's EUNAVAILABLE.
func (r *Relay) render(ctx context.Context, e store.OutboxEmail) ([]string, mail.Rendered, error) {
	switch {
	case e.Email.Worksite != nil:
		return r.renderWorksite(ctx, *e.Email.Worksite, e.QueuedAt)
	case e.Email.User != nil:
		return r.renderUser(ctx, *e.Email.User, e.QueuedAt)
	}
	return nil, mail.Rendered{}, domain.Errorf(domain.EINVALID, "an email with neither a worksite nor a person")
}

// renderWorksite renders a worksite email.
func (r *Relay) renderWorksite(ctx context.Context, in domain.WorksiteEmail, queuedAt time.Time) ([]string, mail.Rendered, error) {
	w, err := r.Store.GetWorksite(ctx, in.WorksiteID)
	if err != nil {
		return nil, mail.Rendered{}, err
	}
	cfg := r.Config
	data := mail.TemplateData{
		WorksiteID: w.ID, WorksiteName: w.Name, WorksiteAddress: w.Address.String(),
		Reason: in.Reason, Seq: in.Seq, SignerName: in.SignerName, SignerTitle: in.SignerTitle,
		Deadline: in.Deadline, PortalURL: cfg.PublicBaseURL, TeamEmail: cfg.TeamEmail,
		RegisteredAt: w.RegisteredAt,
	}
	if in.Kind == domain.MailReviewEscalated || in.Kind == domain.MailReviewBreached {
		data.BusinessDays = in.Seq // the workflow numbers these emails by business days waited
	}
	data.MemberName, data.MemberProfession, data.Comment, data.Change = in.MemberName, cfg.ProfessionLabel(in.MemberProfession), in.Comment, in.Change
	var to []string
	if in.Recipients, err = r.currentPeople(ctx, in.Recipients, in.RecipientSubjects); err != nil {
		return nil, mail.Rendered{}, err
	}
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
		to, data.RecipientName = []string{cfg.TeamEmail}, "CareConnect enrolment team"
	default:
		return nil, mail.Rendered{}, domain.Errorf(domain.EINVALID, "no recipients for %s", in.Kind)
	}
	switch {
	case needsDeclarationLink(in.Kind):
		data.LinkExpires = w.RegisteredAt.Add(cfg.DeclarationTTL)
		data.Link = r.link(links.PurposeDeclaration, w.ID, data.LinkExpires)
	case in.LinkPurpose != "":
		data.LinkExpires = in.LinkExpires
		if data.LinkExpires.IsZero() {
			data.LinkExpires = queuedAt.Add(cfg.JoinLinkTTL)
		}
		data.Link = r.link(in.LinkPurpose, in.LinkSubject, data.LinkExpires)
	}
	rendered, err := mail.Render(in.Kind, data, r.Config.Location)
	if err != nil {
		return nil, mail.Rendered{}, domain.Errorf(domain.EINVALID, "%v", err)
	}
	return to, rendered, nil
}

// renderUser renders an email about a person's own account.
func (r *Relay) renderUser(ctx context.Context, in domain.UserEmail, queuedAt time.Time) ([]string, mail.Rendered, error) {
	acct, err := r.Store.GetAccount(ctx, in.Subject)
	if err != nil {
		return nil, mail.Rendered{}, err
	}
	cfg := r.Config
	name := acct.PreferredFirstName
	if name == "" {
		name = acct.LegalFirstName
	}
	to := []string{acct.Email}
	data := mail.TemplateData{RecipientName: name, Username: acct.Username, Seq: in.Seq,
		Deadline: in.Deadline, PortalURL: cfg.PublicBaseURL, TeamEmail: cfg.TeamEmail,
		WorksiteID: in.WorksiteID, WorksiteName: in.WorksiteName, Change: in.Change, Reason: in.Reason,
		BusinessRole: in.BusinessRole, ViewerURL: cfg.ViewerURL, NeedsHPCAA: in.NeedsHPCAA,
		CourseName: cfg.CourseName, CourseURL: cfg.CourseURL, AccountEmail: acct.Email}
	if in.Kind == domain.MailEmailConfirmation {
		if in.EmailLink == "" || acct.EmailLink != in.EmailLink || acct.AwaitingEmail() == "" {
			// A later change (or the confirmation itself) replaced the
			// address: a link for it would confirm nothing.
			return nil, mail.Rendered{}, fmt.Errorf("%w: the address no longer awaits confirmation", errSkip)
		}
		to = []string{acct.AwaitingEmail()}
		data.LinkExpires = queuedAt.Add(cfg.EmailConfirmationTTL)
		data.Link = r.link(links.PurposeEmailConfirmation, in.Subject+"/"+in.EmailLink, data.LinkExpires)
	}
	if in.ToTeam {
		in.Recipients = []domain.Person{{Name: "CareConnect enrolment team", Email: cfg.TeamEmail}}
	} else if in.Recipients, err = r.currentPeople(ctx, in.Recipients, in.RecipientSubjects); err != nil {
		return nil, mail.Rendered{}, err
	}
	if len(in.Recipients) > 0 {
		to, data.RecipientName, data.MemberName = nil, in.Recipients[0].Name, acct.DisplayName()
		for _, p := range in.Recipients {
			to = append(to, p.Email)
		}
	}
	rendered, err := mail.Render(in.Kind, data, r.Config.Location)
	if err != nil {
		return nil, mail.Rendered{}, domain.Errorf(domain.EINVALID, "%v", err)
	}
	return to, rendered, nil
}

// currentPeople is people as their accounts stand now: each one whose
// subject (subjects[i], as the workflow recorded it) has an account gets
// its current address and name (DOMAIN: every later email, worksite
// emails included, goes to the current address and name). Someone
// without an account (an invitee) keeps the address the workflow named.
func (r *Relay) currentPeople(ctx context.Context, people []domain.Person, subjects []string) ([]domain.Person, error) {
	out := make([]domain.Person, len(people))
	copy(out, people)
	for i := range out {
		if i >= len(subjects) || subjects[i] == "" {
			continue
		}
		acct, err := r.Store.GetAccount(ctx, subjects[i])
		switch {
		case domain.ErrorCode(err) == domain.ENOTFOUND:
			continue
		case err != nil:
			return nil, err
		}
		out[i].Name, out[i].Email, out[i].Subject = acct.DisplayName(), acct.Email, subjects[i]
	}
	return out, nil
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
func (r *Relay) link(p links.Purpose, subject string, exp time.Time) string {
	tok := r.Links.Sign(links.Claims{Purpose: p, Subject: subject, Expires: exp})
	return strings.TrimRight(r.Config.PublicBaseURL, "/") + linkPaths[p] + tok
}
