package domain_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
)

// Subjects in the membership fixture.
const (
	sAda      = "ada"      // active administrator
	sBob      = "bob"      // active member
	sCy       = "cy"       // inactive member
	sDee      = "dee"      // inactive, and was an administrator
	sEve      = "eve"      // asked to join; no member
	sGil      = "gil"      // second active administrator, in twoAdmins only
	sStranger = "stranger" // nobody at the worksite
)

// membershipAt is the fixture's reference time: Thursday 5 November 2026, 10:00 Pacific.
func membershipAt(t *testing.T) time.Time {
	return time.Date(2026, 11, 5, 10, 0, 0, 0, mustLocation(t, "America/Vancouver"))
}

// fixture is a worksite's membership with one active administrator (Ada),
// a pending join request from Eve and invitations to Fay and to Bob (sent
// before he joined by request).
func fixture(t *testing.T) domain.Membership {
	at := membershipAt(t)
	return domain.Membership{
		Members: []domain.Member{
			{Subject: sAda, Name: "Ada", Email: "ada@clinic.example.ca", UserType: domain.Authorizer, Admin: true, Active: true},
			{Subject: sBob, Name: "Bob", Email: "bob@clinic.example.ca", UserType: domain.Authorizer, Active: true},
			{Subject: sCy, Name: "Cy", Email: "cy@clinic.example.ca", UserType: domain.OnBehalfOf},
			{Subject: sDee, Name: "Dee", Email: "dee@clinic.example.ca", UserType: domain.Authorizer, Admin: true},
		},
		Requests: []domain.JoinRequest{{ID: "jr-1", Subject: sEve, Name: "Eve", RequestedAt: at}},
		Invitations: []domain.Invitation{
			{ID: "inv-fay", Email: "Fay@Example.ca", InvitedOn: at, ExpiresAt: at.Add(14 * domain.Day)},
			{ID: "inv-bob", Email: "bob@clinic.example.ca", InvitedOn: at, ExpiresAt: at.Add(14 * domain.Day)},
		},
	}
}

// twoAdmins is fixture with Gil as a second active administrator.
func twoAdmins(t *testing.T) domain.Membership {
	m := fixture(t)
	m.Members = append(m.Members, domain.Member{Subject: sGil, Name: "Gil", Email: "gil@clinic.example.ca", Admin: true, Active: true})
	return m
}

func TestMembershipLookups(t *testing.T) {
	m := twoAdmins(t)
	if got, want := m.ActiveAdmins(), []string{sAda, sGil}; !reflect.DeepEqual(got, want) {
		t.Errorf("ActiveAdmins = %v; want %v (inactive Dee is none)", got, want)
	}
	if got, want := m.ActiveSubjects(), []string{sAda, sBob, sGil}; !reflect.DeepEqual(got, want) {
		t.Errorf("ActiveSubjects = %v; want %v", got, want)
	}
	for _, tt := range []struct {
		subject string
		want    bool
	}{{sAda, true}, {sGil, true}, {sBob, false}, {sDee, false}, {sStranger, false}} {
		if got := m.ActiveAdminOrErr(tt.subject); got != tt.want {
			t.Errorf("ActiveAdminOrErr(%s) = %v; want %v", tt.subject, got, tt.want)
		}
	}
	if x, ok := m.Member(sBob); !ok || x.Name != "Bob" {
		t.Errorf("Member(bob) = %+v, %v; want Bob", x, ok)
	}
	// Member returns the stored member, not a copy.
	if x, _ := m.Member(sBob); x != nil {
		x.Admin = true
		if !m.Members[1].Admin {
			t.Errorf("Member(bob) returned a copy; want a pointer into Members")
		}
	}
	if _, ok := m.Member(sStranger); ok {
		t.Errorf("Member(stranger) found; want none")
	}
	if i, ok := m.Request("jr-1"); !ok || i != 0 {
		t.Errorf("Request(jr-1) = %d, %v; want 0, true", i, ok)
	}
	if i, ok := m.Request("jr-9"); ok || i != -1 {
		t.Errorf("Request(jr-9) = %d, %v; want -1, false", i, ok)
	}
	if i, ok := m.Invitation("inv-bob"); !ok || i != 1 {
		t.Errorf("Invitation(inv-bob) = %d, %v; want 1, true", i, ok)
	}
	if i, ok := m.Invitation("inv-9"); ok || i != -1 {
		t.Errorf("Invitation(inv-9) = %d, %v; want -1, false", i, ok)
	}
	if got := (domain.Member{Name: "Ada", Profession: domain.ProfPhysician}).String(); got != "Ada (physician)" {
		t.Errorf("String = %q; want %q", got, "Ada (physician)")
	}
}

func TestCanRequestJoin(t *testing.T) {
	tests := []struct {
		name       string
		subject    string
		comment    string
		wantCode   string
		wantFields []string
	}{
		{"newcomer", sStranger, "", "", nil},
		{"newcomer with a comment of 500 characters", sStranger, strings.Repeat("x", 500), "", nil},
		{"comment too long", sStranger, strings.Repeat("x", 501), domain.EINVALID, []string{"comment"}},
		{"inactive member asks again", sCy, "back from leave", "", nil},
		{"active member", sBob, "", domain.ECONFLICT, nil},
		{"already asked", sEve, "", domain.ECONFLICT, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fixture(t)
			checkErr(t, m.CanRequestJoin(tt.subject, tt.comment), tt.wantCode, tt.wantFields)
		})
	}
}

func TestCanDecideJoin(t *testing.T) {
	tests := []struct {
		name     string
		actor    string
		id       string
		wantCode string
	}{
		{"administrator, pending request", sAda, "jr-1", ""},
		{"administrator, no such request", sAda, "jr-9", domain.ENOTFOUND},
		{"member who is not an administrator", sBob, "jr-1", domain.EFORBIDDEN},
		{"inactive administrator", sDee, "jr-1", domain.EFORBIDDEN},
		{"the requester", sEve, "jr-1", domain.EFORBIDDEN},
		{"stranger", sStranger, "jr-1", domain.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fixture(t)
			checkErr(t, m.CanDecideJoin(tt.actor, tt.id), tt.wantCode, nil)
		})
	}
}

func TestCanInvite(t *testing.T) {
	tests := []struct {
		name       string
		actor      string
		email      string
		wantCode   string
		wantFields []string
	}{
		{"administrator, new address", sAda, "hal@clinic.example.ca", "", nil},
		{"an inactive member's address", sAda, "cy@clinic.example.ca", "", nil},
		{"an active member's address, other case", sAda, "BOB@Clinic.Example.CA", domain.ECONFLICT, nil},
		{"an address already invited, other case", sAda, "fay@example.ca", domain.ECONFLICT, nil},
		{"malformed address", sAda, "hal at clinic", domain.EINVALID, []string{"email"}},
		{"address with a display name", sAda, "Hal <hal@clinic.example.ca>", domain.EINVALID, []string{"email"}},
		{"two addresses", sAda, "hal@clinic.example.ca, ida@clinic.example.ca", domain.EINVALID, []string{"email"}},
		{"empty address", sAda, "", domain.EINVALID, []string{"email"}},
		{"member who is not an administrator", sBob, "hal@clinic.example.ca", domain.EFORBIDDEN, nil},
		{"inactive administrator", sDee, "hal@clinic.example.ca", domain.EFORBIDDEN, nil},
		// Who may act is checked before what they send.
		{"stranger with a malformed address", sStranger, "nope", domain.EFORBIDDEN, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fixture(t)
			checkErr(t, m.CanInvite(tt.actor, tt.email), tt.wantCode, tt.wantFields)
		})
	}
}

func TestCanResendInvitation(t *testing.T) {
	tests := []struct {
		name     string
		actor    string
		id       string
		wantCode string
	}{
		{"administrator", sAda, "inv-fay", ""},
		{"no such invitation", sAda, "inv-9", domain.ENOTFOUND},
		{"member who is not an administrator", sBob, "inv-fay", domain.EFORBIDDEN},
		{"inactive administrator", sDee, "inv-fay", domain.EFORBIDDEN},
		{"stranger", sStranger, "inv-fay", domain.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fixture(t)
			checkErr(t, m.CanResendInvitation(tt.actor, tt.id), tt.wantCode, nil)
		})
	}
}

func TestCanAcceptInvitation(t *testing.T) {
	tests := []struct {
		name         string
		subject      string
		accountEmail string // the account's confirmed address
		id           string
		wantCode     string
	}{
		{"the invited address", sStranger, "Fay@Example.ca", "inv-fay", ""},
		{"the invited address in another case", sStranger, "fay@example.CA", "inv-fay", ""},
		{"another address", sStranger, "fay@elsewhere.ca", "inv-fay", domain.EFORBIDDEN},
		{"no such invitation", sStranger, "Fay@Example.ca", "inv-9", domain.ENOTFOUND},
		{"inactive member with the invited address", sCy, "Fay@Example.ca", "inv-fay", ""},
		{"already an active member", sBob, "bob@clinic.example.ca", "inv-bob", domain.ECONFLICT},
		// The address is checked before membership.
		{"active member with another address", sBob, "other@clinic.example.ca", "inv-bob", domain.EFORBIDDEN},
		// An invitation binds only to a confirmed address ("" when the account has none).
		{"no confirmed address", sStranger, "", "inv-fay", domain.EUNPROCESSABLE},
		{"no confirmed address, no such invitation", sStranger, "", "inv-9", domain.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fixture(t)
			checkErr(t, m.CanAcceptInvitation(tt.subject, tt.accountEmail, tt.id), tt.wantCode, nil)
		})
	}
}

func TestCanPromote(t *testing.T) {
	tests := []struct {
		name          string
		actor, target string
		wantCode      string
	}{
		{"administrator promotes a member", sAda, sBob, ""},
		{"already an administrator", sAda, sAda, domain.ECONFLICT},
		{"inactive member", sAda, sCy, domain.EUNPROCESSABLE},
		{"inactive former administrator", sAda, sDee, domain.EUNPROCESSABLE},
		{"not a member", sAda, sStranger, domain.ENOTFOUND},
		{"member promotes himself", sBob, sBob, domain.EFORBIDDEN},
		{"inactive administrator promotes", sDee, sBob, domain.EFORBIDDEN},
		{"stranger promotes", sStranger, sBob, domain.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fixture(t)
			checkErr(t, m.CanPromote(tt.actor, tt.target), tt.wantCode, nil)
		})
	}
}

func TestCanDemote(t *testing.T) {
	tests := []struct {
		name          string
		m             func(*testing.T) domain.Membership
		actor, target string
		wantCode      string
	}{
		{"the only administrator demotes herself", fixture, sAda, sAda, domain.EUNPROCESSABLE},
		{"one of two administrators demotes herself", twoAdmins, sAda, sAda, domain.EUNPROCESSABLE},
		{"another administrator demotes her", twoAdmins, sGil, sAda, ""},
		{"she demotes the other", twoAdmins, sAda, sGil, ""},
		{"member who is not an administrator", fixture, sAda, sBob, domain.ECONFLICT},
		{"inactive former administrator", fixture, sAda, sDee, domain.ECONFLICT},
		{"not a member", fixture, sAda, sStranger, domain.ENOTFOUND},
		{"member demotes the administrator", fixture, sBob, sAda, domain.EFORBIDDEN},
		{"inactive administrator demotes", twoAdmins, sDee, sAda, domain.EFORBIDDEN},
		{"stranger demotes", fixture, sStranger, sAda, domain.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m(t)
			checkErr(t, m.CanDemote(tt.actor, tt.target), tt.wantCode, nil)
		})
	}
}

func TestCanDeactivate(t *testing.T) {
	tests := []struct {
		name          string
		m             func(*testing.T) domain.Membership
		actor, target string
		wantCode      string
	}{
		{"administrator deactivates a member", fixture, sAda, sBob, ""},
		{"the only administrator deactivates herself", fixture, sAda, sAda, domain.EUNPROCESSABLE},
		{"one of two administrators deactivates herself", twoAdmins, sAda, sAda, domain.EUNPROCESSABLE},
		{"another administrator deactivates her", twoAdmins, sGil, sAda, ""},
		{"already inactive", fixture, sAda, sCy, domain.ECONFLICT},
		{"not a member", fixture, sAda, sStranger, domain.ENOTFOUND},
		{"member deactivates the administrator", fixture, sBob, sAda, domain.EFORBIDDEN},
		{"member deactivates himself", fixture, sBob, sBob, domain.EFORBIDDEN},
		{"inactive administrator deactivates", twoAdmins, sDee, sBob, domain.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m(t)
			checkErr(t, m.CanDeactivate(tt.actor, tt.target), tt.wantCode, nil)
		})
	}
}

// Whoever asks, the last active administrator can be neither demoted nor
// deactivated: only they are an administrator, and they may not do it to
// themselves.
func TestLastAdministratorStays(t *testing.T) {
	m := fixture(t)
	for _, actor := range []string{sAda, sBob, sCy, sDee, sEve, sStranger} {
		if err := m.CanDemote(actor, sAda); err == nil {
			t.Errorf("CanDemote(%s, ada) = nil; want a refusal (ada is the last administrator)", actor)
		}
		if err := m.CanDeactivate(actor, sAda); err == nil {
			t.Errorf("CanDeactivate(%s, ada) = nil; want a refusal (ada is the last administrator)", actor)
		}
	}
}

func TestCanReactivate(t *testing.T) {
	now := membershipAt(t)
	future, past := now.Add(10*domain.Day), now.Add(-time.Hour)
	tests := []struct {
		name          string
		actor, target string
		endsAt        *time.Time
		wantCode      string
		wantFields    []string
	}{
		{"administrator reactivates a member", sAda, sCy, nil, "", nil},
		{"with a future end date", sAda, sCy, &future, "", nil},
		{"inactive former administrator", sAda, sDee, nil, "", nil},
		{"with an end date now", sAda, sCy, &now, domain.EINVALID, []string{"endsAt"}},
		{"with a past end date", sAda, sCy, &past, domain.EINVALID, []string{"endsAt"}},
		{"already active", sAda, sBob, nil, domain.ECONFLICT, nil},
		{"not a member", sAda, sStranger, nil, domain.ENOTFOUND, nil},
		{"member reactivates", sBob, sCy, nil, domain.EFORBIDDEN, nil},
		{"inactive administrator reactivates herself", sDee, sDee, nil, domain.EFORBIDDEN, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fixture(t)
			checkErr(t, m.CanReactivate(tt.actor, tt.target, tt.endsAt, now), tt.wantCode, tt.wantFields)
		})
	}
}

func TestMembershipGrouped(t *testing.T) {
	member := func(name string, ut domain.UserType, active bool) domain.Member {
		return domain.Member{Subject: strings.ToLower(name), Name: name, UserType: ut, Active: active}
	}
	m := domain.Membership{Members: []domain.Member{
		member("Zoe", domain.Authorizer, true),
		member("Moa", domain.OnBehalfOf, true),
		member("Pat", domain.Independent, true),   // acts alone: counted with authorizers
		member("Nel", domain.NotDesignated, true), // neither sponsors nor is sponsored
		member("Abe", domain.Authorizer, true),
		member("Res", domain.OnBehalfOf, false),
		member("Old", domain.Authorizer, false),
		member("Kim", domain.OnBehalfOf, true),
	}}
	order := append([]domain.Member(nil), m.Members...)
	names := func(xs []domain.Member) []string {
		out := []string{}
		for _, x := range xs {
			out = append(out, x.Name)
		}
		return out
	}
	g := m.Grouped()
	want := map[string]map[string][]string{
		"active":   {"authorizers": {"Abe", "Nel", "Pat", "Zoe"}, "onBehalfOf": {"Kim", "Moa"}},
		"inactive": {"authorizers": {"Old"}, "onBehalfOf": {"Res"}},
	}
	got := map[string]map[string][]string{}
	for state, groups := range g {
		got[state] = map[string][]string{}
		for group, xs := range groups {
			got[state][group] = names(xs)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Grouped = %v; want %v", got, want)
	}
	if !reflect.DeepEqual(m.Members, order) {
		t.Errorf("Grouped reordered Members to %v; want them untouched", names(m.Members))
	}

	// An empty membership still has every group, each an empty (non-nil) list.
	empty := (&domain.Membership{}).Grouped()
	for _, state := range []string{"active", "inactive"} {
		for _, group := range []string{"authorizers", "onBehalfOf"} {
			if xs, ok := empty[state][group]; !ok || xs == nil || len(xs) != 0 {
				t.Errorf("empty Grouped[%s][%s] = %v (present %v); want an empty list", state, group, xs, ok)
			}
		}
	}
}

func TestJoinRequestMilestones(t *testing.T) {
	van := mustLocation(t, "America/Vancouver")
	local := func(month time.Month, d, h int) time.Time { return time.Date(2026, month, d, h, 0, 0, 0, van) }
	tests := []struct {
		name     string
		at       time.Time
		days     []int
		holidays []string
		want     []time.Time
	}{
		// Thursday: the weekend is skipped; Monday 9 and Thursday 12.
		{"thursday", local(11, 5, 10), []int{2, 5}, nil, []time.Time{local(11, 9, 10), local(11, 12, 10)}},
		// Remembrance Day (Wed 11) configured: the second moves to Friday 13.
		{"thursday, holiday", local(11, 5, 10), []int{2, 5}, []string{"2026-11-11"}, []time.Time{local(11, 9, 10), local(11, 13, 10)}},
		// Friday evening: the same wall-clock time on Tuesday 10 and Friday 13.
		{"friday evening", local(11, 6, 17), []int{2, 5}, nil, []time.Time{local(11, 10, 17), local(11, 13, 17)}},
		// A request on a Saturday counts from Monday.
		{"saturday", local(11, 7, 10), []int{2, 5}, nil, []time.Time{local(11, 10, 10), local(11, 13, 10)}},
		// Across the end of daylight time (1 November): 10:00 stays 10:00.
		{"across daylight time", local(10, 30, 10), []int{2, 5}, nil, []time.Time{local(11, 3, 10), local(11, 6, 10)}},
		// The same instant in UTC gives the same instants.
		{"utc input", local(11, 5, 10).UTC(), []int{2, 5}, nil, []time.Time{local(11, 9, 10), local(11, 12, 10)}},
		// No reminders configured.
		{"none", local(11, 5, 10), nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := domain.JoinRequestMilestones(tt.at, tt.days, domain.Calendar{Holidays: tt.holidays})
			if len(got) != len(tt.want) {
				t.Fatalf("milestones = %+v; want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if g := got[i]; g.Kind != domain.MilestoneReminder || g.Seq != i+1 || !g.At.Equal(w) {
					t.Errorf("milestone %d = %s #%d at %v; want reminder #%d at %v", i, g.Kind, g.Seq, g.At, i+1, w)
				}
			}
		})
	}
}

func TestNextMembershipDeadline(t *testing.T) {
	at := membershipAt(t) // Thursday 5 November 2026, 10:00
	s, c := domain.DefaultSchedule(), domain.Calendar{}
	van := at.Location()
	monday, thursday := time.Date(2026, 11, 9, 10, 0, 0, 0, van), time.Date(2026, 11, 12, 10, 0, 0, 0, van)
	soon, later := at.Add(36*time.Hour), at.Add(30*domain.Day)
	request := func(sent int) domain.JoinRequest {
		return domain.JoinRequest{ID: "jr", RequestedAt: at, RemindersSent: sent, Overdue: sent == 2}
	}
	invitation := func(autoResent bool) domain.Invitation {
		return domain.Invitation{ID: "inv", InvitedOn: at, ExpiresAt: at.Add(14 * domain.Day), AutoResent: autoResent}
	}
	tests := []struct {
		name   string
		m      domain.Membership
		want   time.Time
		wantOK bool
	}{
		{"nothing pending", domain.Membership{}, time.Time{}, false},
		{"request, no reminder yet", domain.Membership{Requests: []domain.JoinRequest{request(0)}}, monday, true},
		{"request, one reminder sent", domain.Membership{Requests: []domain.JoinRequest{request(1)}}, thursday, true},
		{"overdue request: nothing more", domain.Membership{Requests: []domain.JoinRequest{request(2)}}, time.Time{}, false},
		{"invitation: the resend", domain.Membership{Invitations: []domain.Invitation{invitation(false)}}, at.Add(7 * domain.Day), true},
		{"invitation resent: the expiry", domain.Membership{Invitations: []domain.Invitation{invitation(true)}}, at.Add(14 * domain.Day), true},
		{"active locum: the end date", domain.Membership{Members: []domain.Member{{Subject: "l", Active: true, EndsAt: &soon}}}, soon, true},
		{"inactive member's end date is no deadline", domain.Membership{Members: []domain.Member{{Subject: "l", EndsAt: &soon}}}, time.Time{}, false},
		{"member without an end date", domain.Membership{Members: []domain.Member{{Subject: "m", Active: true}}}, time.Time{}, false},
		// The earliest of everything.
		{"mixed: the locum first", domain.Membership{
			Members:     []domain.Member{{Subject: "l", Active: true, EndsAt: &later}, {Subject: "k", Active: true, EndsAt: &soon}},
			Requests:    []domain.JoinRequest{request(0)},
			Invitations: []domain.Invitation{invitation(false)},
		}, soon, true},
		{"mixed: the reminder first", domain.Membership{
			Members:     []domain.Member{{Subject: "l", Active: true, EndsAt: &later}},
			Requests:    []domain.JoinRequest{request(1), request(0)},
			Invitations: []domain.Invitation{invitation(true)},
		}, monday, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.m.NextMembershipDeadline(s, c)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Errorf("NextMembershipDeadline = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// A worksite's workflow ends only when nothing is left to do: an approved
// or registered-only worksite goes on running for its membership.
func TestWorksiteStateEnded(t *testing.T) {
	tests := []struct {
		s          domain.WorksiteState
		final, end bool
	}{
		{domain.WorksiteAwaitingDeclaration, false, false},
		{domain.WorksiteAwaitingReview, false, false},
		{domain.WorksiteApproved, true, false},
		{domain.WorksiteRegisteredOnly, true, false},
		{domain.WorksiteRejected, true, true},
		{domain.WorksiteLapsed, true, true},
		{domain.WorksiteClosed, true, true},
	}
	for _, tt := range tests {
		if got := tt.s.Final(); got != tt.final {
			t.Errorf("%s.Final() = %v; want %v", tt.s, got, tt.final)
		}
		if got := tt.s.Ended(); got != tt.end {
			t.Errorf("%s.Ended() = %v; want %v", tt.s, got, tt.end)
		}
	}
}

// TestReturningMemberIsPlain: deactivation clears the administrator role,
// and whoever comes back (a join request approved, an invitation accepted,
// a reactivation) comes back as a plain member; only a promotion makes
// them an administrator again. Dee is an inactive former administrator
// whose role was kept when she was deactivated (before the rule).
func TestReturningMemberIsPlain(t *testing.T) {
	at := membershipAt(t)
	end := at.Add(30 * domain.Day)
	cases := []struct {
		name    string
		subject string
		do      func(m *domain.Membership)
	}{
		// Deactivating an administrator leaves an inactive plain member.
		{"deactivated administrator", sAda, func(m *domain.Membership) {
			x, _ := m.Member(sAda)
			x.Deactivate(at, "left the clinic")
		}},
		// An administrator deactivated, then back by a join request.
		{"deactivated administrator rejoins", sGil, func(m *domain.Membership) {
			x, _ := m.Member(sGil)
			x.Deactivate(at, "left the clinic")
			m.Admit(domain.Member{Subject: sGil, Name: "Gil", Email: "gil@clinic.example.ca", Admin: true}, at.Add(domain.Day))
		}},
		// A former administrator whose role survived deactivation rejoins by request.
		{"former administrator's join request approved", sDee, func(m *domain.Membership) {
			m.Admit(domain.Member{Subject: sDee, Name: "Dee", Email: "dee@clinic.example.ca"}, at)
		}},
		// ... or accepts an invitation.
		{"former administrator accepts an invitation", sDee, func(m *domain.Membership) {
			m.Admit(domain.Member{Subject: sDee, Name: "Dee Dee", Email: "dee@clinic.example.ca", UserType: domain.Authorizer}, at)
		}},
		// ... or is reactivated.
		{"former administrator reactivated", sDee, func(m *domain.Membership) {
			x, _ := m.Member(sDee)
			x.Reactivate(at, &end)
		}},
		// A newcomer is admitted as a plain member, whatever the caller set.
		{"newcomer", sEve, func(m *domain.Membership) {
			m.Admit(domain.Member{Subject: sEve, Name: "Eve", Email: "eve@clinic.example.ca", Admin: true}, at)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := twoAdmins(t)
			c.do(&m)
			x, ok := m.Member(c.subject)
			if !ok {
				t.Fatalf("no member %s", c.subject)
			}
			if x.Admin {
				t.Errorf("%s = %+v; want no administrator role", c.subject, *x)
			}
			n := 0
			for _, y := range m.Members {
				if y.Subject == c.subject {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s appears %d times in %+v; want once", c.subject, n, m.Members)
			}
		})
	}

	// What else each step sets.
	m := twoAdmins(t)
	ada, _ := m.Member(sAda)
	ada.EndsAt = &end
	ada.Deactivate(at, "left")
	if ada.Active || ada.InactiveSince == nil || !ada.InactiveSince.Equal(at) || ada.InactiveWhy != "left" || ada.EndsAt != nil {
		t.Errorf("deactivated = %+v; want inactive since %v because %q, no end date", *ada, at, "left")
	}
	ada.Reactivate(at.Add(domain.Day), &end)
	if !ada.Active || !ada.Since.Equal(at.Add(domain.Day)) || ada.InactiveSince != nil || ada.InactiveWhy != "" || ada.EndsAt != &end {
		t.Errorf("reactivated = %+v; want active since %v until %v, no inactive fields", *ada, at.Add(domain.Day), end)
	}
	back := m.Admit(domain.Member{Subject: sDee, Name: "Dee", Email: "dee@new.example.ca", EndsAt: &end}, at)
	if !back.Active || !back.Since.Equal(at) || back.Email != "dee@new.example.ca" || back.EndsAt != &end || back.InactiveSince != nil {
		t.Errorf("admitted = %+v; want active since %v with the new details", *back, at)
	}
}

// TestLastAdmin: the last-administrator rule asks whether a subject is the
// only active administrator.
func TestLastAdmin(t *testing.T) {
	cases := []struct {
		name    string
		m       func(*testing.T) domain.Membership
		subject string
		want    bool
	}{
		// Ada is the one active administrator of the fixture.
		{"the only active administrator", fixture, sAda, true},
		// With Gil there are two: neither is the last.
		{"one of two", twoAdmins, sAda, false},
		{"the other of two", twoAdmins, sGil, false},
		// Dee was an administrator, but is inactive: she counts for nothing.
		{"an inactive former administrator", fixture, sDee, false},
		{"a plain member", fixture, sBob, false},
		{"a stranger", fixture, sStranger, false},
	}
	for _, c := range cases {
		m := c.m(t)
		if got := m.LastAdmin(c.subject); got != c.want {
			t.Errorf("%s: LastAdmin(%s) = %v; want %v", c.name, c.subject, got, c.want)
		}
	}
}

// TestSponsors: who may sponsor is an active member whose user type is
// authorizer, never the applicant themselves.
func TestSponsors(t *testing.T) {
	m := fixture(t)
	m.Members = append(m.Members,
		domain.Member{Subject: "ivy", Name: "Ivy", UserType: domain.OnBehalfOf, Active: true},  // active, not an authorizer
		domain.Member{Subject: "jo", Name: "Jo", UserType: domain.Independent, Active: true},   // active, independent
		domain.Member{Subject: "kim", Name: "Kim", UserType: domain.Authorizer, Active: false}, // an inactive authorizer
	)
	subjects := func(xs []domain.Member) []string {
		var out []string
		for _, x := range xs {
			out = append(out, x.Subject)
		}
		return out
	}
	cases := []struct {
		name   string
		except string
		want   []string
	}{
		// Ada (an administrator) and Bob are the active authorizers.
		{"everyone who may", "", []string{sAda, sBob}},
		// Bob asks for a sponsor: he is not his own.
		{"leaving out the applicant", sBob, []string{sAda}},
		{"leaving out someone who may not anyway", "ivy", []string{sAda, sBob}},
	}
	for _, c := range cases {
		if got := subjects(m.Sponsors(c.except)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Sponsors(%q) = %v; want %v", c.name, c.except, got, c.want)
		}
	}
	for _, x := range m.Members {
		want := x.Active && x.UserType == domain.Authorizer
		if got := x.MaySponsor(); got != want {
			t.Errorf("%s.MaySponsor() = %v; want %v", x.Subject, got, want)
		}
	}
}

// TestApplyProfile: a person's profile notice reaches their member record
// and their join requests, and nobody else's; empty values keep what is there.
func TestApplyProfile(t *testing.T) {
	for _, tc := range []struct {
		name        string
		n           domain.MemberProfileNotice
		wantChanged bool
		wantFrom    string // profession before, when the member's changed
		check       func(t *testing.T, m domain.Membership)
	}{{
		// Cy, corrected from MOA to physician, becomes an authorizer who may sponsor.
		name: "profession of an inactive member", n: domain.MemberProfileNotice{Subject: sCy, Profession: "physician", UserType: domain.Authorizer},
		wantChanged: true, wantFrom: "",
		check: func(t *testing.T, m domain.Membership) {
			x, _ := m.Member(sCy)
			if x.Profession != "physician" || x.UserType != domain.Authorizer || x.Name != "Cy" || x.Email != "cy@clinic.example.ca" {
				t.Errorf("cy = %+v; want a physician authorizer with name and email kept", *x)
			}
		},
	}, {
		// Bob's new name and confirmed address replace the old ones.
		name: "name and email of an active member", n: domain.MemberProfileNotice{Subject: sBob, Name: "Robert", Email: "rob@new.example.ca"},
		wantChanged: true,
		check: func(t *testing.T, m domain.Membership) {
			x, _ := m.Member(sBob)
			if x.Name != "Robert" || x.Email != "rob@new.example.ca" || x.UserType != domain.Authorizer {
				t.Errorf("bob = %+v; want Robert at rob@new.example.ca, still an authorizer", *x)
			}
			if len(m.Sponsors("")) != 2 {
				t.Errorf("sponsors = %v; want Ada and Bob", m.Sponsors(""))
			}
		},
	}, {
		// Eve's pending join request follows her profession and address.
		name: "join request", n: domain.MemberProfileNotice{Subject: sEve, Profession: "moa", UserType: domain.OnBehalfOf, Email: "eve@new.example.ca"},
		wantChanged: true,
		check: func(t *testing.T, m domain.Membership) {
			r := m.Requests[0]
			if r.Profession != "moa" || r.UserType != domain.OnBehalfOf || r.Email != "eve@new.example.ca" || r.Name != "Eve" {
				t.Errorf("request = %+v; want Eve, moa, on-behalf-of, at eve@new.example.ca", r)
			}
		},
	}, {
		// A stranger's notice changes nothing.
		name: "nobody here", n: domain.MemberProfileNotice{Subject: sStranger, Name: "X", Profession: "physician"},
		check: func(t *testing.T, m domain.Membership) {
			if !reflect.DeepEqual(m, fixture(t)) {
				t.Errorf("membership changed: %+v", m)
			}
		},
	}, {
		// The same values again change nothing.
		name: "same values", n: domain.MemberProfileNotice{Subject: sAda, Name: "Ada", Email: "ada@clinic.example.ca", UserType: domain.Authorizer},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			m := fixture(t)
			x, from, changed := m.ApplyProfile(tc.n)
			if changed != tc.wantChanged {
				t.Errorf("changed = %v; want %v", changed, tc.wantChanged)
			}
			if tc.n.Profession != "" && tc.wantChanged && tc.name != "join request" {
				if x == nil || from != tc.wantFrom {
					t.Errorf("profession change = %v from %q; want the member, from %q", x, from, tc.wantFrom)
				}
			} else if x != nil {
				t.Errorf("profession change reported for %v; want none", x)
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}
}
