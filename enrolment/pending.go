package enrolment

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"careconnect/authz"
	"careconnect/domain"
	"careconnect/workflows"
)

// A person's enrolment workflow knows their memberships only once the
// worksites' notices reach it (through the relay), and knows nothing of
// the join requests they sent or the invitations to their address, which
// the worksites' workflows own. So the status a person reads is completed
// here from the projections: the worksites they belong to (one registered
// a moment ago included) and who must act next while they belong to none
// (DOMAIN "Reminders, escalation and expiry": every state names it).

// completeStatus adds to st, the status of subject as their workflow
// projected it, the worksites the membership projection lists and it
// does not yet, and, for a registered account, who must act next when
// the account itself asks nothing (domain.PersonNextAction).
func (s *Service) completeStatus(ctx context.Context, subject string, st *domain.UserStatus) error {
	if st.State != domain.UserAccountRegistered {
		return nil
	}
	mine, err := s.store.MemberWorksites(ctx, subject)
	if err != nil {
		return err
	}
	return s.completeStatusWith(ctx, subject, st, mine)
}

// completeStatusWith is completeStatus with subject's worksites read.
func (s *Service) completeStatusWith(ctx context.Context, subject string, st *domain.UserStatus, mine []domain.MemberWorksite) error {
	if st.State != domain.UserAccountRegistered {
		return nil
	}
	for _, w := range mine {
		listed := false
		for _, x := range st.Worksites {
			listed = listed || x.WorksiteID == w.WorksiteID
		}
		if !listed {
			st.Worksites = append(st.Worksites, domain.UserWorksite{WorksiteID: w.WorksiteID, Active: w.Active, Admin: w.Admin,
				Since: w.Since, WorksiteState: domain.WorksiteState(w.State)})
		}
	}
	base := *st
	base.WaitingOn, base.NextAction = domain.UserNextAction(st.State, st.EmailConfirmation)
	if base.WaitingOn != domain.PartyNone {
		return nil
	}
	if st.ActiveWorksites() > 0 {
		// The workflow's "no worksite" (it has not heard of one registered
		// a moment ago) does not hold: nobody must act on the person.
		next := domain.PersonNextAction(*st, st.ActiveWorksites(), nil)
		st.WaitingOn, st.NextAction = next.WaitingOn, next.NextAction
		return nil
	}
	pending, err := s.pendingFor(ctx, subject)
	if err != nil {
		return err
	}
	next := domain.PersonNextAction(base, 0, pending)
	st.WaitingOn, st.NextAction, st.WaitingSince = next.WaitingOn, next.NextAction, next.Since
	return nil
}

// pendingFor lists subject's open join requests and the invitations to
// the address their account uses.
func (s *Service) pendingFor(ctx context.Context, subject string) ([]domain.PendingMembership, error) {
	email := ""
	acct, err := s.store.GetAccount(ctx, subject)
	switch domain.ErrorCode(err) {
	case "":
		email = acct.Email
	case domain.ENOTFOUND:
	default:
		return nil, err
	}
	return s.store.PendingForPerson(ctx, subject, email, s.now().UTC())
}

// statusHead is the part of a projected status that completeStatus reads
// and may change. Decoding only this lets a status that needs nothing
// added pass through as stored (the status page polls it).
type statusHead struct {
	State        domain.UserState `json:"state"`
	WaitingOn    domain.Party     `json:"waitingOn,omitempty"`
	WaitingSince time.Time        `json:"waitingSince"`
	NextAction   string           `json:"nextAction,omitempty"`
	Worksites    []struct {
		WorksiteID string `json:"worksiteId"`
		Active     bool   `json:"active"`
	} `json:"worksites,omitempty"`
	EmailConfirmation *domain.EmailConfirmation `json:"emailConfirmation,omitempty"`
}

// decodeStatusHead reads statusHead's fields of a stored status and stops
// at the first field after them: the applications and the timeline,
// most of a status, are not scanned. encoding/json writes fields in
// declaration order, and domain.UserStatus declares the head's first
// (TestStatusHeadPrecedesTheRest holds that).
func decodeStatusHead(raw json.RawMessage) (statusHead, error) {
	var head statusHead
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return head, fmt.Errorf("enrolment: a stored status is not an object: %v", err)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return head, err
		}
		var v any
		switch t {
		case "applications", "accessSuspended", "timeline", "seq":
			return head, nil
		case "state":
			v = &head.State
		case "waitingOn":
			v = &head.WaitingOn
		case "waitingSince":
			v = &head.WaitingSince
		case "nextAction":
			v = &head.NextAction
		case "worksites":
			v = &head.Worksites
		case "emailConfirmation":
			v = &head.EmailConfirmation
		default:
			v = new(json.RawMessage)
		}
		if err := dec.Decode(v); err != nil {
			return head, err
		}
	}
	return head, nil
}

// completeStatusJSON is completeStatusWith on a status stored as JSON. It
// returns raw itself when completing it changes nothing, and otherwise
// the completed status.
func (s *Service) completeStatusJSON(ctx context.Context, subject string, raw json.RawMessage, mine []domain.MemberWorksite) (json.RawMessage, domain.UserStatus, error) {
	head, err := decodeStatusHead(raw)
	if err != nil {
		return nil, domain.UserStatus{}, err
	}
	light := domain.UserStatus{State: head.State, WaitingOn: head.WaitingOn, WaitingSince: head.WaitingSince,
		NextAction: head.NextAction, EmailConfirmation: head.EmailConfirmation}
	for _, w := range head.Worksites {
		light.Worksites = append(light.Worksites, domain.UserWorksite{WorksiteID: w.WorksiteID, Active: w.Active})
	}
	if err := s.completeStatusWith(ctx, subject, &light, mine); err != nil {
		return nil, domain.UserStatus{}, err
	}
	if len(light.Worksites) == len(head.Worksites) && light.WaitingOn == head.WaitingOn &&
		light.NextAction == head.NextAction && light.WaitingSince.Equal(head.WaitingSince) {
		return raw, domain.UserStatus{}, nil
	}
	var st domain.UserStatus
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, domain.UserStatus{}, err
	}
	// completeStatus only appends worksites (whole, from the membership
	// projection) and sets who must act next.
	st.Worksites = append(st.Worksites, light.Worksites[len(head.Worksites):]...)
	st.WaitingOn, st.NextAction, st.WaitingSince = light.WaitingOn, light.NextAction, light.WaitingSince
	return nil, st, nil
}

// Pending is what waits on a person's membership: the invitations to
// their address and the join requests they sent, oldest first.
type Pending struct {
	Invitations  []domain.PendingMembership
	JoinRequests []domain.PendingMembership
	// EmailConfirmed is whether their address is confirmed: an
	// invitation is accepted only with a confirmed one.
	EmailConfirmed bool
}

// MyPending lists the invitations to the caller's address and the join
// requests they sent that still wait. Errors: EUNAUTHORIZED, EFORBIDDEN,
// EUNPROCESSABLE (no account).
func (s *Service) MyPending(ctx context.Context, by Caller) (Pending, error) {
	acct, err := s.account(ctx, by, authz.AcceptInvitation)
	if err != nil {
		return Pending{}, err
	}
	all, err := s.store.PendingForPerson(ctx, acct.Subject, acct.Email, s.now().UTC())
	if err != nil {
		return Pending{}, err
	}
	out := Pending{Invitations: []domain.PendingMembership{}, JoinRequests: []domain.PendingMembership{}, EmailConfirmed: acct.EmailConfirmed}
	for _, p := range all {
		if p.Kind == domain.PendingInvitation {
			out.Invitations = append(out.Invitations, p)
		} else {
			out.JoinRequests = append(out.JoinRequests, p)
		}
	}
	return out, nil
}

// AcceptMyInvitation accepts invitation iid of worksite id from the
// portal, as the emailed link would: the caller's confirmed address must
// be the invited one. It returns the worksite's ID. Errors:
// EUNAUTHORIZED, EFORBIDDEN, EUNPROCESSABLE, ENOTFOUND, ECONFLICT.
func (s *Service) AcceptMyInvitation(ctx context.Context, by Caller, id, iid string) (string, error) {
	acct, err := s.account(ctx, by, authz.AcceptInvitation)
	if err != nil {
		return "", err
	}
	w, err := s.lookupWorksite(ctx, id)
	if err != nil {
		return "", err
	}
	var m domain.Membership
	if err := s.worksiteUpdate(ctx, by, w.ID, workflows.UpdateAcceptInvitation, workflows.AcceptInvitation{InvitationID: iid,
		Member: s.asMember(acct), AccountEmail: acct.ConfirmedEmail(), RequestID: by.RequestID, NotAfter: s.notAfter()}, &m); err != nil {
		return "", err
	}
	return w.ID, nil
}

// InvitationPage is what an invitation link's page shows: the worksite
// it invites to.
type InvitationPage struct {
	Worksite domain.Worksite
}

// InvitationLink verifies an invitation link's token and returns the
// worksite it invites to, for its page. Errors: ENOTFOUND (not valid, or
// the worksite is gone), EUNPROCESSABLE (expired).
func (s *Service) InvitationLink(ctx context.Context, token string) (InvitationPage, error) {
	parts, err := s.tokenParts(token, domain.LinkInvitation)
	if err != nil {
		return InvitationPage{}, err
	}
	w, err := s.store.GetWorksite(ctx, parts[0])
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return InvitationPage{}, domain.Errorf(domain.ENOTFOUND, "this link is not valid; use the link in your email")
	}
	return InvitationPage{Worksite: w}, err
}

// Attention lists the requests that wait on the caller as a site
// administrator (join requests; invitations awaiting the invitee) or as
// an authorizer (sponsorship requests), at every worksite where they are
// an active member, oldest first. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) Attention(ctx context.Context, by Caller) ([]domain.AttentionItem, error) {
	if err := authorize(by, authz.ReadOwnStatus, authz.Resource{}); err != nil {
		return nil, err
	}
	subject := by.Principal.Subject
	out := []domain.AttentionItem{}
	mine, err := s.store.MemberWorksites(ctx, subject)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	for _, mw := range mine {
		if !mw.Active {
			continue
		}
		w, err := s.store.GetWorksite(ctx, mw.WorksiteID)
		if err != nil {
			return nil, err
		}
		m, err := s.membership(ctx, w.ID)
		if err != nil {
			return nil, err
		}
		var sponsorships []domain.SponsorshipRequest
		for _, x := range m.Sponsors("") {
			if x.Subject == subject {
				if sponsorships, err = s.store.SponsorshipRequests(ctx, w.ID); err != nil {
					return nil, err
				}
			}
		}
		out = append(out, domain.AttentionFor(subject, w, m, sponsorships, now)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out, nil
}
