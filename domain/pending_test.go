package domain

import (
	"strings"
	"testing"
	"time"
)

func TestPersonNextAction(t *testing.T) {
	registered := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	asked := time.Date(2026, 3, 4, 17, 30, 0, 0, time.UTC)
	invited := time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)
	base := UserStatus{State: UserAccountRegistered, WaitingSince: registered}
	join := PendingMembership{Kind: PendingJoinRequest, ID: "jr-1", WorksiteID: "K4T6CLP", WorksiteName: "Proctor Clinic", At: asked}
	inv := PendingMembership{Kind: PendingInvitation, ID: "inv-1", WorksiteID: "B7Q2ZZA", WorksiteName: "Harbour Pharmacy", At: invited}
	for _, tc := range []struct {
		name      string
		st        UserStatus
		active    int
		pending   []PendingMembership
		party     Party
		actionHas string
		since     time.Time
	}{
		// An account with no worksite: the applicant registers or joins one.
		{"no worksite", base, 0, nil, PartyApplicant, "register your worksite or join one", registered},
		// A pending join request: the site administrators decide, since it was asked.
		{"join pending", base, 0, []PendingMembership{join}, PartySiteAdmin, "asked 2026-03-04", asked},
		// An invitation waits on the invitee, before any join request.
		{"invited", base, 0, []PendingMembership{join, inv}, PartyApplicant, "accept your invitation to join Harbour Pharmacy", invited},
		// A member: the status's own next action (none) stands.
		{"member", base, 1, []PendingMembership{join}, PartyNone, "", registered},
		// What the status asks first (confirm the email) stands.
		{"confirm email first", UserStatus{State: UserAccountRegistered, WaitingOn: PartyApplicant, NextAction: "confirm your email address", WaitingSince: registered},
			0, []PendingMembership{join}, PartyApplicant, "confirm your email", registered},
		// An expired password is reset first.
		{"password expired", UserStatus{State: UserPasswordExpired, WaitingOn: PartyApplicant, NextAction: "your password has expired: reset it", WaitingSince: registered},
			0, nil, PartyApplicant, "reset it", registered},
		// No account yet: register it.
		{"no account", UserStatus{State: UserIdentityValidated, WaitingOn: PartyApplicant, NextAction: "register your HxBC account"}, 0, nil, PartyApplicant, "register your HxBC account", time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := PersonNextAction(tc.st, tc.active, tc.pending)
			if got.WaitingOn != tc.party || !strings.Contains(got.NextAction, tc.actionHas) || !got.Since.Equal(tc.since) {
				t.Errorf("got %q %q since %v; want %q, an action with %q, since %v", got.WaitingOn, got.NextAction, got.Since, tc.party, tc.actionHas, tc.since)
			}
		})
	}
}

func TestPendingMemberships(t *testing.T) {
	w := Worksite{ID: "K4T6CLP", Name: "Proctor Clinic", Address: Address{StreetNumber: "370", StreetName: "Broadway E", City: "Vancouver", Province: "BC", PostalCode: "V5T 4G5"}}
	m := Membership{Requests: []JoinRequest{{ID: "jr-1", Subject: "s1", RequestedAt: time.Unix(10, 0), Overdue: true}},
		Invitations: []Invitation{{ID: "inv-1", Email: "Ann@Example.ca", InvitedOn: time.Unix(20, 0), ExpiresAt: time.Unix(30, 0)}}}
	got := PendingMemberships(w, m)
	if len(got) != 2 {
		t.Fatalf("got %d pending; want 2", len(got))
	}
	if got[0].Kind != PendingJoinRequest || got[0].Subject != "s1" || !got[0].Overdue || got[0].WorksiteName != "Proctor Clinic" {
		t.Errorf("join request: got %+v", got[0])
	}
	if got[1].Kind != PendingInvitation || got[1].Email != "ann@example.ca" || got[1].ExpiresAt == nil || !strings.Contains(got[1].AddressLine, "370 Broadway E") {
		t.Errorf("invitation: got %+v", got[1])
	}
}

func TestAttentionFor(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	w := Worksite{ID: "K4T6CLP", Name: "Proctor Clinic"}
	asked := now.Add(-3 * 24 * time.Hour)
	m := Membership{
		Members: []Member{{Subject: "ada", Admin: true, Active: true, UserType: Authorizer},
			{Subject: "ben", Active: true, UserType: Authorizer}, {Subject: "cam", Active: true, UserType: OnBehalfOf}},
		Requests:    []JoinRequest{{ID: "jr-1", Name: "Dee Moa", RequestedAt: asked, Overdue: true}},
		Invitations: []Invitation{{ID: "inv-1", Email: "eve@example.ca", InvitedOn: now.Add(-time.Hour)}},
	}
	sponsorAsked := now.Add(-49 * time.Hour)
	sp := []SponsorshipRequest{{Subject: "cam", Name: "Cam Moa", Application: Application{SponsorshipRequestedAt: &sponsorAsked}}}
	for _, tc := range []struct {
		name    string
		subject string
		kinds   []AttentionKind
	}{
		// An administrator who may sponsor sees all three.
		{"admin and authorizer", "ada", []AttentionKind{AttentionJoinRequest, AttentionInvitation, AttentionSponsorship}},
		// An authorizer who does not administer sees the sponsorship requests only.
		{"authorizer", "ben", []AttentionKind{AttentionSponsorship}},
		// An on-behalf-of member sees nothing, not even their own request.
		{"on-behalf-of", "cam", nil},
		// A stranger sees nothing.
		{"stranger", "zed", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := AttentionFor(tc.subject, w, m, sp, now)
			var kinds []AttentionKind
			for _, it := range got {
				kinds = append(kinds, it.Kind)
			}
			if len(kinds) != len(tc.kinds) {
				t.Fatalf("got %v; want %v", kinds, tc.kinds)
			}
			for i := range kinds {
				if kinds[i] != tc.kinds[i] {
					t.Fatalf("got %v; want %v", kinds, tc.kinds)
				}
			}
			for _, it := range got {
				switch it.Kind {
				case AttentionJoinRequest:
					if it.AgeDays != 3 || !it.Overdue || it.Who != "Dee Moa" || it.Link != "#/worksites/K4T6CLP" || it.WaitingOn != PartySiteAdmin {
						t.Errorf("join request: got %+v", it)
					}
				case AttentionSponsorship:
					if it.AgeDays != 2 || it.Who != "Cam Moa" || it.Link != "#/worksites/K4T6CLP/sponsorships" || it.WaitingOn != PartySponsor {
						t.Errorf("sponsorship: got %+v", it)
					}
				case AttentionInvitation:
					if it.AgeDays != 0 || it.Who != "eve@example.ca" || it.WaitingOn != PartyApplicant {
						t.Errorf("invitation: got %+v", it)
					}
				}
			}
		})
	}
}

func TestCursorAndSearch(t *testing.T) {
	c := Cursor{Keys: []string{"smith", "ann", "sub-1"}}
	got, err := ParseCursor(c.String(), 3)
	if err != nil || len(got.Keys) != 3 || got.Keys[2] != "sub-1" {
		t.Errorf("round trip: %+v, %v", got, err)
	}
	for _, bad := range []string{"!!", c.String() + "x", Cursor{Keys: []string{"a"}}.String()} {
		if _, err := ParseCursor(bad, 3); ErrorCode(err) != EINVALID {
			t.Errorf("ParseCursor(%q): %v; want EINVALID", bad, err)
		}
	}
	if c, err := ParseCursor("", 3); err != nil || len(c.Keys) != 0 {
		t.Errorf("first page: %+v, %v", c, err)
	}
	for _, tc := range []struct{ in, want, code string }{
		{"  Ann   SMITH ", "ann smith", ""},
		{"a\x1bb", "", EINVALID},
		{strings.Repeat("x", 201), "", EINVALID},
	} {
		got, err := SearchText(tc.in)
		if got != tc.want || ErrorCode(err) != tc.code {
			t.Errorf("SearchText(%q) = %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.code)
		}
	}
	for _, tc := range []struct{ in, want string }{{"=SUM(A1)", "'=SUM(A1)"}, {"-1", "'-1"}, {"Ann", "Ann"}, {"", ""}} {
		if got := CSVCell(tc.in); got != tc.want {
			t.Errorf("CSVCell(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
	if n, err := PageSize(0); n != DefaultPageSize || err != nil {
		t.Errorf("PageSize(0) = %d, %v", n, err)
	}
	if _, err := PageSize(501); ErrorCode(err) != EINVALID {
		t.Errorf("PageSize(501): %v; want EINVALID", err)
	}
}

// TestUserStatusNextStep: a registered account that asks nothing more and
// has no active worksite waits on the applicant, who must register or
// join one; what the account asks comes first; a member waits on nobody.
func TestUserStatusNextStep(t *testing.T) {
	confirm := &EmailConfirmation{Awaiting: true}
	for _, tc := range []struct {
		name   string
		st     UserStatus
		party  Party
		action string
	}{
		{"no worksite yet", UserStatus{State: UserAccountRegistered}, PartyApplicant, NoWorksiteAction},
		{"an inactive membership only", UserStatus{State: UserAccountRegistered, Worksites: []UserWorksite{{WorksiteID: "K4T6CLP"}}}, PartyApplicant, NoWorksiteAction},
		{"a member", UserStatus{State: UserAccountRegistered, Worksites: []UserWorksite{{WorksiteID: "K4T6CLP", Active: true}}}, PartyNone, ""},
		{"confirm the email first", UserStatus{State: UserAccountRegistered, EmailConfirmation: confirm}, PartyApplicant, "confirm your email address"},
		{"no account yet", UserStatus{State: UserIdentityValidated}, PartyApplicant, "register your HxBC account"},
		{"password expired", UserStatus{State: UserPasswordExpired}, PartyApplicant, "your password has expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, a := tc.st.NextStep()
			if p != tc.party || !strings.HasPrefix(a, tc.action) {
				t.Errorf("NextStep() = %q, %q; want %q, %q", p, a, tc.party, tc.action)
			}
		})
	}
	// The enrolment layer refines the status's "no worksite": a member
	// (a worksite registered a moment ago) has nothing to do, a pending
	// request waits on the site administrators.
	st := UserStatus{State: UserAccountRegistered, WaitingOn: PartyApplicant, NextAction: NoWorksiteAction}
	if got := PersonNextAction(st, 1, nil); got.WaitingOn != PartyNone || got.NextAction != "" {
		t.Errorf("a member with the status's no-worksite step: %+v; want nobody", got)
	}
	join := PendingMembership{Kind: PendingJoinRequest, WorksiteID: "K4T6CLP", WorksiteName: "Proctor Clinic", At: time.Unix(0, 0)}
	if got := PersonNextAction(st, 0, []PendingMembership{join}); got.WaitingOn != PartySiteAdmin {
		t.Errorf("a pending join request with the status's no-worksite step: %+v; want the site administrators", got)
	}
}
