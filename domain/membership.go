package domain

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Member is one person's membership of a worksite.
type Member struct {
	Subject    string `json:"subject"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Profession string `json:"profession"`
	// UserType groups members into authorizers and on-behalf-of users.
	UserType UserType  `json:"userType"`
	Admin    bool      `json:"admin"`
	Active   bool      `json:"active"`
	Since    time.Time `json:"since"`
	// EndsAt, for a locum, is when the membership deactivates by itself.
	EndsAt        *time.Time `json:"endsAt,omitempty"`
	InactiveSince *time.Time `json:"inactiveSince,omitempty"`
	InactiveWhy   string     `json:"inactiveReason,omitempty"`
}

// JoinRequest is a request to join a worksite, awaiting an administrator.
type JoinRequest struct {
	ID          string    `json:"id"`
	Subject     string    `json:"subject"`
	Name        string    `json:"name"`
	Email       string    `json:"email"`
	Profession  string    `json:"profession"`
	UserType    UserType  `json:"userType"`
	Comment     string    `json:"comment,omitempty"`
	RequestedAt time.Time `json:"requestedAt"`
	// RemindersSent counts reminders to the administrators; Overdue is set
	// after the last one (the request stays open).
	RemindersSent int  `json:"remindersSent"`
	Overdue       bool `json:"overdue"`
}

// Invitation is an invitation to one email address, awaiting a response.
type Invitation struct {
	ID         string    `json:"id"`
	Email      string    `json:"email"`
	InvitedBy  string    `json:"invitedBy"`
	InvitedOn  time.Time `json:"invitedOn"`
	LastSentAt time.Time `json:"lastSentAt"`
	EmailsSent int       `json:"emailsSent"`
	ExpiresAt  time.Time `json:"expiresAt"`
	// AutoResent is set once the scheduled resend has gone out.
	AutoResent bool `json:"autoResent"`
}

// Membership is a worksite's members, join requests and invitations: the
// state the worksite workflow keeps and every membership rule reads.
type Membership struct {
	Members     []Member      `json:"members"`
	Requests    []JoinRequest `json:"joinRequests"`
	Invitations []Invitation  `json:"invitations"`
}

// Member returns the membership of subject, if any.
func (m *Membership) Member(subject string) (*Member, bool) {
	for i := range m.Members {
		if m.Members[i].Subject == subject {
			return &m.Members[i], true
		}
	}
	return nil, false
}

// ActiveAdmins lists the subjects of active administrators.
func (m *Membership) ActiveAdmins() []string {
	var out []string
	for _, x := range m.Members {
		if x.Active && x.Admin {
			out = append(out, x.Subject)
		}
	}
	return out
}

// ActiveSubjects lists the subjects of active members.
func (m *Membership) ActiveSubjects() []string {
	var out []string
	for _, x := range m.Members {
		if x.Active {
			out = append(out, x.Subject)
		}
	}
	return out
}

// LastAdmin is the last-administrator rule's test: subject is an active
// administrator and no other is. A worksite always keeps one, so the last
// is never demoted or deactivated, and their end date is not applied.
func (m *Membership) LastAdmin(subject string) bool {
	return m.isActiveAdmin(subject) && len(m.ActiveAdmins()) == 1
}

// errLastAdmin refuses what would leave a worksite without an active administrator.
var errLastAdmin = Errorf(EUNPROCESSABLE, "a worksite must keep at least one active administrator")

// MaySponsor is who may sponsor an on-behalf-of user at a worksite: an
// active member whose user type is Authorizer. Approving a sponsorship
// also takes access provisioned there (ProvisionedRole), whose business
// role the sponsored user is given.
func (x Member) MaySponsor() bool { return x.Active && x.UserType == Authorizer }

// Sponsors lists the members who may sponsor (MaySponsor), in membership
// order, leaving out except (an applicant does not sponsor themselves; ""
// leaves out nobody).
func (m *Membership) Sponsors(except string) []Member {
	var out []Member
	for _, x := range m.Members {
		if x.MaySponsor() && x.Subject != except {
			out = append(out, x)
		}
	}
	return out
}

// ActiveAdminOrErr reports whether subject is an active administrator.
func (m *Membership) ActiveAdminOrErr(subject string) bool { return m.isActiveAdmin(subject) }

func (m *Membership) isActiveAdmin(subject string) bool {
	x, ok := m.Member(subject)
	return ok && x.Active && x.Admin
}

// Deactivate sets x inactive from now, for why, and clears the
// administrator role: a member who comes back (a join request approved, an
// invitation accepted, a reactivation) comes back as a plain member, and
// only a promotion makes them an administrator again. A role must not
// outlive the membership it was given in.
func (x *Member) Deactivate(now time.Time, why string) {
	x.Active, x.Admin, x.InactiveSince, x.InactiveWhy, x.EndsAt = false, false, &now, why, nil
}

// Reactivate makes x active again from now, as a plain member (see
// Deactivate), until endsAt (nil: no end date).
func (x *Member) Reactivate(now time.Time, endsAt *time.Time) {
	x.Active, x.Admin, x.Since, x.EndsAt, x.InactiveSince, x.InactiveWhy = true, false, now, endsAt, nil, ""
}

// Admit makes nm an active member from now, as a plain member: a newcomer
// is added; a returning member (a join request approved, an invitation
// accepted) takes nm's details and holds no role they held before (see
// Deactivate). It returns the member.
func (m *Membership) Admit(nm Member, now time.Time) *Member {
	nm.Admin, nm.Active, nm.Since = false, true, now
	if x, ok := m.Member(nm.Subject); ok {
		*x = nm
		return x
	}
	m.Members = append(m.Members, nm)
	return &m.Members[len(m.Members)-1]
}

// Request returns the pending join request with id.
func (m *Membership) Request(id string) (int, bool) {
	for i, r := range m.Requests {
		if r.ID == id {
			return i, true
		}
	}
	return -1, false
}

// Invitation returns the pending invitation with id.
func (m *Membership) Invitation(id string) (int, bool) {
	for i, inv := range m.Invitations {
		if inv.ID == id {
			return i, true
		}
	}
	return -1, false
}

var errNotAdmin = Errorf(EFORBIDDEN, "only an active administrator of this worksite can do that")

// CanRequestJoin says whether subject may ask to join.
func (m *Membership) CanRequestJoin(subject, comment string) error {
	if x, ok := m.Member(subject); ok && x.Active {
		return Errorf(ECONFLICT, "you are already an active member of this worksite")
	}
	for _, r := range m.Requests {
		if r.Subject == subject {
			return Errorf(ECONFLICT, "you already asked to join this worksite; an administrator will answer")
		}
	}
	if utf8.RuneCountInString(comment) > 500 {
		return (FieldErrors{"comment": "must be at most 500 characters"}).Err()
	}
	return nil
}

// CanDecideJoin says whether actor may approve or reject request id.
func (m *Membership) CanDecideJoin(actor, id string) error {
	if !m.isActiveAdmin(actor) {
		return errNotAdmin
	}
	if _, ok := m.Request(id); !ok {
		return Errorf(ENOTFOUND, "no pending join request with that ID; it may already be answered")
	}
	return nil
}

// CanInvite says whether actor may invite email.
func (m *Membership) CanInvite(actor, email string) error {
	if !m.isActiveAdmin(actor) {
		return errNotAdmin
	}
	if !ValidEmail(email) {
		return (FieldErrors{"email": "must be one email address, such as name@example.ca"}).Err()
	}
	for _, x := range m.Members {
		if x.Active && strings.EqualFold(x.Email, email) {
			return Errorf(ECONFLICT, "%s is already an active member of this worksite", email)
		}
	}
	for _, inv := range m.Invitations {
		if strings.EqualFold(inv.Email, email) {
			return Errorf(ECONFLICT, "an invitation to that address is already awaiting a response; resend it instead")
		}
	}
	return nil
}

// CanResendInvitation says whether actor may resend invitation id.
func (m *Membership) CanResendInvitation(actor, id string) error {
	if !m.isActiveAdmin(actor) {
		return errNotAdmin
	}
	if _, ok := m.Invitation(id); !ok {
		return Errorf(ENOTFOUND, "no invitation awaiting a response with that ID; it may have been accepted or have expired")
	}
	return nil
}

// CanAcceptInvitation says whether the account whose confirmed address is
// confirmedEmail ("" when its address is not confirmed yet) may accept
// invitation id: an invitation binds only to a confirmed address.
func (m *Membership) CanAcceptInvitation(subject, confirmedEmail, id string) error {
	i, ok := m.Invitation(id)
	if !ok {
		return Errorf(ENOTFOUND, "no invitation awaiting a response with that ID; it may have expired")
	}
	if confirmedEmail == "" {
		return Errorf(EUNPROCESSABLE, "confirm your email address before accepting an invitation: open the link we emailed to it, or send it again from your status page")
	}
	if !strings.EqualFold(m.Invitations[i].Email, confirmedEmail) {
		return Errorf(EFORBIDDEN, "this invitation was sent to a different email address; accept it with the account whose confirmed email is the invited address (a new address counts once you have confirmed it)")
	}
	if x, ok := m.Member(subject); ok && x.Active {
		return Errorf(ECONFLICT, "you are already an active member of this worksite")
	}
	return nil
}

// CanPromote says whether actor may make target an administrator.
func (m *Membership) CanPromote(actor, target string) error {
	if !m.isActiveAdmin(actor) {
		return errNotAdmin
	}
	x, ok := m.Member(target)
	switch {
	case !ok:
		return Errorf(ENOTFOUND, "that person is not a member of this worksite")
	case !x.Active:
		return Errorf(EUNPROCESSABLE, "reactivate the member before promoting them")
	case x.Admin:
		return Errorf(ECONFLICT, "that member is already an administrator")
	}
	return nil
}

// otherMember is the member an active administrator acts on with verb;
// nobody may do it to themselves (another administrator must).
func (m *Membership) otherMember(actor, target, verb string) (*Member, error) {
	if !m.isActiveAdmin(actor) {
		return nil, errNotAdmin
	}
	if actor == target {
		return nil, Errorf(EUNPROCESSABLE, "an administrator cannot %s themselves; another administrator must do it", verb)
	}
	x, ok := m.Member(target)
	if !ok {
		return nil, Errorf(ENOTFOUND, "that person is not a member of this worksite")
	}
	return x, nil
}

// CanDemote says whether actor may remove target's administrator role:
// never their own, and never the last active administrator's.
func (m *Membership) CanDemote(actor, target string) error {
	x, err := m.otherMember(actor, target, "demote")
	switch {
	case err != nil:
		return err
	case !x.Admin || !x.Active:
		return Errorf(ECONFLICT, "that member is not an active administrator")
	case m.LastAdmin(target):
		return errLastAdmin
	}
	return nil
}

// CanDeactivate says whether actor may set target inactive: never
// themselves, and never the last active administrator.
func (m *Membership) CanDeactivate(actor, target string) error {
	x, err := m.otherMember(actor, target, "deactivate")
	switch {
	case err != nil:
		return err
	case !x.Active:
		return Errorf(ECONFLICT, "that member is already inactive")
	case m.LastAdmin(target):
		return errLastAdmin
	}
	return nil
}

// CanReactivate says whether actor may reactivate target.
func (m *Membership) CanReactivate(actor, target string, endsAt *time.Time, now time.Time) error {
	if !m.isActiveAdmin(actor) {
		return errNotAdmin
	}
	x, ok := m.Member(target)
	switch {
	case !ok:
		return Errorf(ENOTFOUND, "that person is not a member of this worksite")
	case x.Active:
		return Errorf(ECONFLICT, "that member is already active")
	case endsAt != nil && !endsAt.After(now):
		return (FieldErrors{"endsAt": "must be in the future"}).Err()
	}
	return nil
}

// Grouped returns members split as DOMAIN lists them: active and inactive,
// each as authorizers and on-behalf-of users (independent users count with
// authorizers, as they act alone), sorted by name.
func (m *Membership) Grouped() map[string]map[string][]Member {
	out := map[string]map[string][]Member{
		"active":   {"authorizers": {}, "onBehalfOf": {}},
		"inactive": {"authorizers": {}, "onBehalfOf": {}},
	}
	for _, x := range m.Members {
		state, group := "inactive", "authorizers"
		if x.Active {
			state = "active"
		}
		if x.UserType == OnBehalfOf {
			group = "onBehalfOf"
		}
		out[state][group] = append(out[state][group], x)
	}
	for _, g := range out {
		for _, list := range g {
			sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
		}
	}
	return out
}

// ApplyProfile makes the member and join request records of n.Subject
// carry n's profession, user type, name and email (empty values leave
// what is there). It reports the member whose profession changed (nil:
// none) with the profession it had, and whether anything changed at all.
func (m *Membership) ApplyProfile(n MemberProfileNotice) (changed *Member, from string, touched bool) {
	set := func(dst *string, v string) {
		if v != "" && *dst != v {
			*dst, touched = v, true
		}
	}
	if x, ok := m.Member(n.Subject); ok {
		before := x.Profession
		set(&x.Profession, n.Profession)
		set((*string)(&x.UserType), string(n.UserType))
		set(&x.Name, n.Name)
		set(&x.Email, n.Email)
		if x.Profession != before {
			changed, from = x, before
		}
	}
	for i := range m.Requests {
		r := &m.Requests[i]
		if r.Subject != n.Subject {
			continue
		}
		set(&r.Profession, n.Profession)
		set((*string)(&r.UserType), string(n.UserType))
		set(&r.Name, n.Name)
		set(&r.Email, n.Email)
	}
	return changed, from, touched
}

// JoinRequestMilestones lists the reminders of a join request: one per
// entry of days, counted in business days from the request.
func JoinRequestMilestones(at time.Time, days []int, c Calendar) []Milestone {
	ms := make([]Milestone, 0, len(days))
	for i, d := range days {
		ms = append(ms, Milestone{Kind: MilestoneReminder, At: c.AddBusinessDays(at, d), Seq: i + 1})
	}
	return sortMilestones(ms)
}

// NextMembershipDeadline is the earliest moment something membership-related
// falls due: a join request reminder, an invitation resend or expiry, or a
// locum end date. ok is false when nothing is scheduled.
func (m *Membership) NextMembershipDeadline(s Schedule, c Calendar) (time.Time, bool) {
	var next time.Time
	consider := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, r := range m.Requests {
		if ms := JoinRequestMilestones(r.RequestedAt, s.JoinRequestReminderDays, c); r.RemindersSent < len(ms) {
			consider(ms[r.RemindersSent].At)
		}
	}
	for _, inv := range m.Invitations {
		if !inv.AutoResent {
			consider(inv.InvitedOn.Add(time.Duration(s.InvitationResendAfter)))
		}
		consider(inv.ExpiresAt)
	}
	for _, x := range m.Members {
		if x.Active && x.EndsAt != nil {
			consider(*x.EndsAt)
		}
	}
	return next, !next.IsZero()
}

// String names a member for emails and timelines.
func (x Member) String() string { return fmt.Sprintf("%s (%s)", x.Name, x.Profession) }
