package domain

import (
	"strings"
	"time"
)

// PendingKind is what a person's pending membership step is.
type PendingKind string

// Pending membership steps.
const (
	// PendingJoinRequest: the person asked to join; the site administrators decide.
	PendingJoinRequest PendingKind = "join_request"
	// PendingInvitation: the person's address was invited; the person accepts.
	PendingInvitation PendingKind = "invitation"
)

// PendingMembership is a join request a person sent, or an invitation to
// their address, still awaiting a response, with the worksite it concerns.
type PendingMembership struct {
	Kind         PendingKind `json:"kind"`
	ID           string      `json:"id"`
	WorksiteID   string      `json:"worksiteId"`
	WorksiteName string      `json:"worksiteName"`
	AddressLine  string      `json:"addressLine"`
	// Subject is the requester of a join request; Email the invited address.
	Subject string `json:"-"`
	Email   string `json:"-"`
	// At is when the request was sent or the invitation first sent.
	At time.Time `json:"at"`
	// ExpiresAt is an invitation's expiry.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// Overdue is set on a join request past its last reminder.
	Overdue bool `json:"overdue,omitempty"`
}

// PendingMemberships lists a membership's open join requests and
// invitations as PendingMemberships of worksite w.
func PendingMemberships(w Worksite, m Membership) []PendingMembership {
	var out []PendingMembership
	for _, r := range m.Requests {
		out = append(out, PendingMembership{Kind: PendingJoinRequest, ID: r.ID, WorksiteID: w.ID, WorksiteName: w.Name,
			AddressLine: w.Address.String(), Subject: r.Subject, At: r.RequestedAt, Overdue: r.Overdue})
	}
	for _, inv := range m.Invitations {
		exp := inv.ExpiresAt
		out = append(out, PendingMembership{Kind: PendingInvitation, ID: inv.ID, WorksiteID: w.ID, WorksiteName: w.Name,
			AddressLine: w.Address.String(), Email: strings.ToLower(inv.Email), At: inv.InvitedOn, ExpiresAt: &exp})
	}
	return out
}

// NextStep is who must act next on a person's enrolment, what they must
// do, and since when.
type NextStep struct {
	WaitingOn  Party
	NextAction string
	Since      time.Time
}

// PersonNextAction says who must act next on a person's enrolment once
// their account exists: what the status already asks of them (register
// the account, reset an expired password, confirm the email) comes
// first; then, without an active worksite, an invitation to accept, a
// join request the site administrators must decide (since it was sent),
// or registering or joining a worksite. activeWorksites counts the
// person's active memberships; pending are their open join requests and
// invitations, oldest first.
func PersonNextAction(st UserStatus, activeWorksites int, pending []PendingMembership) NextStep {
	current := NextStep{WaitingOn: st.WaitingOn, NextAction: st.NextAction, Since: st.WaitingSince}
	if current.NextAction == NoWorksiteAction {
		// The status's own "no worksite" (NextStep) is refined here: a
		// member has none, a pending request or invitation says who acts.
		current.WaitingOn, current.NextAction = PartyNone, ""
	}
	if current.WaitingOn != PartyNone || st.State != UserAccountRegistered || activeWorksites > 0 {
		return current
	}
	for _, p := range pending {
		if p.Kind == PendingInvitation {
			return NextStep{WaitingOn: PartyApplicant, Since: p.At,
				NextAction: "accept your invitation to join " + p.WorksiteName + " (" + p.WorksiteID + ") from your status page or the emailed link"}
		}
	}
	for _, p := range pending {
		if p.Kind == PendingJoinRequest {
			return NextStep{WaitingOn: PartySiteAdmin, Since: p.At,
				NextAction: "approve or reject your request to join " + p.WorksiteName + " (" + p.WorksiteID + "), asked " + p.At.UTC().Format(time.DateOnly)}
		}
	}
	return NextStep{WaitingOn: PartyApplicant, Since: st.WaitingSince, NextAction: NoWorksiteAction}
}

// ActiveWorksites counts the active memberships a status lists.
func (st UserStatus) ActiveWorksites() int {
	n := 0
	for _, w := range st.Worksites {
		if w.Active {
			n++
		}
	}
	return n
}

// AttentionKind is what waits on a site administrator or an authorizer.
type AttentionKind string

// What the "requests requiring your attention" panel lists.
const (
	AttentionJoinRequest AttentionKind = "join_request"
	AttentionSponsorship AttentionKind = "sponsorship_request"
	AttentionInvitation  AttentionKind = "invitation"
)

// AttentionItem is one request waiting on the person who reads it: a
// join request or an invitation at a worksite they administer (the
// invitation waits on the invitee, shown so they can resend it), or a
// sponsorship request at a worksite where they may sponsor.
type AttentionItem struct {
	Kind         AttentionKind `json:"kind"`
	WorksiteID   string        `json:"worksiteId"`
	WorksiteName string        `json:"worksiteName"`
	// Who is the requester's name, or the invited address.
	Who     string    `json:"who"`
	Since   time.Time `json:"since"`
	AgeDays int       `json:"ageDays"`
	Overdue bool      `json:"overdue,omitempty"`
	// WaitingOn is who must act: the reader (site administrator or
	// sponsor), or, for an invitation, the invitee (the applicant).
	WaitingOn Party `json:"waitingOn"`
	// Link is the portal page where it is answered.
	Link string `json:"link"`
}

// AttentionFor lists what waits on subject at worksite w: join requests
// and invitations when they administer it, and the sponsorship requests
// sponsorships (already listed for w) when they may sponsor there;
// oldest first, aged at now.
func AttentionFor(subject string, w Worksite, m Membership, sponsorships []SponsorshipRequest, now time.Time) []AttentionItem {
	var out []AttentionItem
	age := func(t time.Time) int {
		if d := now.Sub(t); d > 0 {
			return int(d / (24 * time.Hour))
		}
		return 0
	}
	if m.isActiveAdmin(subject) {
		for _, r := range m.Requests {
			out = append(out, AttentionItem{Kind: AttentionJoinRequest, WorksiteID: w.ID, WorksiteName: w.Name, Who: r.Name,
				Since: r.RequestedAt, AgeDays: age(r.RequestedAt), Overdue: r.Overdue, WaitingOn: PartySiteAdmin, Link: "#/worksites/" + w.ID})
		}
		for _, inv := range m.Invitations {
			out = append(out, AttentionItem{Kind: AttentionInvitation, WorksiteID: w.ID, WorksiteName: w.Name, Who: inv.Email,
				Since: inv.InvitedOn, AgeDays: age(inv.InvitedOn), WaitingOn: PartyApplicant, Link: "#/worksites/" + w.ID})
		}
	}
	maySponsor := false
	for _, x := range m.Sponsors("") {
		maySponsor = maySponsor || x.Subject == subject
	}
	if maySponsor {
		for _, r := range sponsorships {
			if r.Subject == subject {
				continue
			}
			since := r.Application.SubmittedAt
			if r.Application.SponsorshipRequestedAt != nil {
				since = *r.Application.SponsorshipRequestedAt
			}
			out = append(out, AttentionItem{Kind: AttentionSponsorship, WorksiteID: w.ID, WorksiteName: w.Name, Who: r.Name,
				Since: since, AgeDays: age(since), WaitingOn: PartySponsor, Link: "#/worksites/" + w.ID + "/sponsorships"})
		}
	}
	return out
}
