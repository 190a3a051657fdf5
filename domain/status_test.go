package domain_test

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"careconnect/domain"
)

// allStates lists every worksite state plus one the code does not know.
var allStates = []domain.WorksiteState{
	domain.WorksiteAwaitingDeclaration, domain.WorksiteAwaitingReview, domain.WorksiteApproved,
	domain.WorksiteRejected, domain.WorksiteLapsed, domain.WorksiteRegisteredOnly, "bogus",
}

// mustPolicy returns the default policy row of type lt.
func mustPolicy(t *testing.T, lt domain.LocationType) domain.WorksiteTypePolicy {
	t.Helper()
	p, ok := domain.IndexWorksiteTypes(domain.DefaultWorksiteTypes())[lt]
	if !ok {
		t.Fatalf("no default policy for %q", lt)
	}
	return p
}

// checkErr fails unless err has code wantCode ("" meaning nil) and, for
// EINVALID, exactly the fields wantFields.
func checkErr(t *testing.T, err error, wantCode string, wantFields []string) {
	t.Helper()
	if got := domain.ErrorCode(err); got != wantCode {
		t.Fatalf("error = %v (code %q); want code %q", err, got, wantCode)
	}
	if wantFields == nil {
		return
	}
	var de *domain.Error
	errors.As(err, &de)
	keys := make([]string, 0, len(de.Fields))
	for k := range de.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !reflect.DeepEqual(keys, wantFields) {
		t.Errorf("fields = %v; want %v", keys, wantFields)
	}
}

func TestWorksiteStateFinal(t *testing.T) {
	want := map[domain.WorksiteState]bool{
		domain.WorksiteAwaitingDeclaration: false, // waits for the signing authority
		domain.WorksiteAwaitingReview:      false, // waits for the enrolment team
		domain.WorksiteApproved:            true,
		domain.WorksiteRejected:            true,
		domain.WorksiteLapsed:              true,
		domain.WorksiteRegisteredOnly:      true,
		"bogus":                            false, // unknown states are not final
	}
	for _, s := range allStates {
		if got := s.Final(); got != want[s] {
			t.Errorf("%q.Final() = %v; want %v", s, got, want[s])
		}
	}
}

// TestEndedWorksiteStates: the states the store treats as not live (no
// address held, not offered to join) are exactly those Ended reports.
func TestEndedWorksiteStates(t *testing.T) {
	ended := map[domain.WorksiteState]bool{}
	for _, s := range domain.EndedWorksiteStates() {
		if !s.Ended() {
			t.Errorf("EndedWorksiteStates has %q, which is not Ended", s)
		}
		ended[s] = true
	}
	for _, s := range append(allStates, domain.WorksiteClosed) {
		if s.Ended() && !ended[s] {
			t.Errorf("%q is Ended but not in EndedWorksiteStates", s)
		}
	}
}

func TestWorksiteNextAction(t *testing.T) {
	practice := mustPolicy(t, domain.CommunityPrivatePractice)
	other := mustPolicy(t, domain.OtherLocation)
	tests := []struct {
		name       string
		s          domain.WorksiteState
		p          domain.WorksiteTypePolicy
		wantParty  domain.Party
		wantAction string // a word the action must contain; "" means empty
	}{
		{"awaiting declaration", domain.WorksiteAwaitingDeclaration, practice, domain.PartySigningAuthority, "sign"},
		{"awaiting review", domain.WorksiteAwaitingReview, practice, domain.PartyEnrolmentTeam, "review"},
		// Other must be reclassified first, and the action says so.
		{"awaiting review, other", domain.WorksiteAwaitingReview, other, domain.PartyEnrolmentTeam, "reclassify"},
		{"approved", domain.WorksiteApproved, practice, domain.PartyNone, ""},
		{"rejected", domain.WorksiteRejected, practice, domain.PartyNone, ""},
		{"lapsed", domain.WorksiteLapsed, practice, domain.PartyNone, ""},
		{"registered only", domain.WorksiteRegisteredOnly, practice, domain.PartyNone, ""},
		{"unknown", "bogus", practice, domain.PartyNone, ""},
	}
	for _, tt := range tests {
		party, action := domain.WorksiteNextAction(tt.s, tt.p)
		if party != tt.wantParty {
			t.Errorf("%s: party = %q; want %q", tt.name, party, tt.wantParty)
		}
		if tt.wantAction == "" && action != "" || !strings.Contains(action, tt.wantAction) {
			t.Errorf("%s: action = %q; want it to contain %q", tt.name, action, tt.wantAction)
		}
	}
}

func TestCanSignDeclaration(t *testing.T) {
	tests := []struct {
		name          string
		s             domain.WorksiteState
		signer, title string
		wantCode      string
		wantFields    []string
	}{
		// The one state that takes a declaration.
		{"awaiting declaration", domain.WorksiteAwaitingDeclaration, "Dr Lee", "Lead physician", "", nil},
		// Signer name is required.
		{"no name", domain.WorksiteAwaitingDeclaration, "", "Lead physician", domain.EINVALID, []string{"signerName"}},
		// Signer title is required.
		{"no title", domain.WorksiteAwaitingDeclaration, "Dr Lee", "", domain.EINVALID, []string{"signerTitle"}},
		// Both are reported together.
		{"neither", domain.WorksiteAwaitingDeclaration, "", "", domain.EINVALID, []string{"signerName", "signerTitle"}},
		// Already signed: a conflict, whatever happened since.
		{"awaiting review", domain.WorksiteAwaitingReview, "Dr Lee", "Lead physician", domain.ECONFLICT, nil},
		{"approved", domain.WorksiteApproved, "Dr Lee", "Lead physician", domain.ECONFLICT, nil},
		{"rejected", domain.WorksiteRejected, "Dr Lee", "Lead physician", domain.ECONFLICT, nil},
		// Lapsed and registered-only worksites cannot take one at all.
		{"lapsed", domain.WorksiteLapsed, "Dr Lee", "Lead physician", domain.EUNPROCESSABLE, nil},
		{"registered only", domain.WorksiteRegisteredOnly, "Dr Lee", "Lead physician", domain.EUNPROCESSABLE, nil},
		// A state check comes before field checks.
		{"lapsed and no name", domain.WorksiteLapsed, "", "", domain.EUNPROCESSABLE, nil},
		{"unknown state", "bogus", "Dr Lee", "Lead physician", domain.EUNPROCESSABLE, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, domain.CanSignDeclaration(tt.s, tt.signer, tt.title), tt.wantCode, tt.wantFields)
		})
	}
}

func TestCanTakeDeclaration(t *testing.T) {
	tests := []struct {
		s        domain.WorksiteState
		wantCode string
	}{
		// Only a worksite awaiting its declaration takes one.
		{domain.WorksiteAwaitingDeclaration, ""},
		// Already signed.
		{domain.WorksiteAwaitingReview, domain.ECONFLICT},
		{domain.WorksiteApproved, domain.ECONFLICT},
		{domain.WorksiteRejected, domain.ECONFLICT},
		// Never will.
		{domain.WorksiteLapsed, domain.EUNPROCESSABLE},
		{domain.WorksiteRegisteredOnly, domain.EUNPROCESSABLE},
		{"bogus", domain.EUNPROCESSABLE},
	}
	for _, tt := range tests {
		t.Run(string(tt.s), func(t *testing.T) {
			checkErr(t, domain.CanTakeDeclaration(tt.s), tt.wantCode, nil)
		})
	}
}

func TestCanDecideWorksite(t *testing.T) {
	practice := mustPolicy(t, domain.CommunityPrivatePractice)
	other := mustPolicy(t, domain.OtherLocation)
	tests := []struct {
		name       string
		s          domain.WorksiteState
		p          domain.WorksiteTypePolicy
		approve    bool
		reason     string
		wantCode   string
		wantFields []string
	}{
		// Approve a reviewed worksite; the reason is optional.
		{"approve", domain.WorksiteAwaitingReview, practice, true, "", "", nil},
		// Reject with a reason.
		{"reject", domain.WorksiteAwaitingReview, practice, false, "not a clinic", "", nil},
		// Rejecting needs a reason.
		{"reject without reason", domain.WorksiteAwaitingReview, practice, false, "", domain.EINVALID, []string{"reason"}},
		// Other must be reclassified before approval...
		{"approve other", domain.WorksiteAwaitingReview, other, true, "", domain.EUNPROCESSABLE, nil},
		// ...but may be rejected.
		{"reject other", domain.WorksiteAwaitingReview, other, false, "not eligible", "", nil},
		// Nothing to decide before the declaration.
		{"awaiting declaration", domain.WorksiteAwaitingDeclaration, practice, true, "", domain.EUNPROCESSABLE, nil},
		// Decided already.
		{"approved", domain.WorksiteApproved, practice, true, "", domain.ECONFLICT, nil},
		{"rejected", domain.WorksiteRejected, practice, false, "again", domain.ECONFLICT, nil},
		// Lapsed, registered-only and unknown states cannot be decided.
		{"lapsed", domain.WorksiteLapsed, practice, true, "", domain.EUNPROCESSABLE, nil},
		{"registered only", domain.WorksiteRegisteredOnly, mustPolicy(t, domain.NoClinicalApps), true, "", domain.EUNPROCESSABLE, nil},
		{"unknown state", "bogus", practice, true, "", domain.EUNPROCESSABLE, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, domain.CanDecideWorksite(tt.s, tt.p, tt.approve, tt.reason), tt.wantCode, tt.wantFields)
		})
	}
}

// A configured reason is text, not a format: a '%' in it comes out as is.
func TestCanDecideWorksiteReasonIsNotAFormat(t *testing.T) {
	p := mustPolicy(t, domain.NoClinicalApps)
	p.Reason = "100% registration only"
	err := domain.CanDecideWorksite(domain.WorksiteRegisteredOnly, p, true, "")
	if msg := domain.ErrorMessage(err); !strings.HasSuffix(msg, ": 100% registration only") {
		t.Errorf("message = %q; want it to end with the reason %q", msg, p.Reason)
	}
}

// The default policy table follows DOMAIN's eligibility column.
func TestDefaultWorksiteTypes(t *testing.T) {
	want := map[domain.LocationType]domain.Access{
		domain.CommunityPrivatePractice: domain.AccessYes,
		domain.HomeOffice:               domain.AccessRestricted,
		domain.FirstNationsFacility:     domain.AccessYes,
		domain.HealthAuthorityClinic:    domain.AccessRefused,
		domain.CommunityPharmacy:        domain.AccessYes,
		domain.LongTermCareFacility:     domain.AccessYes,
		domain.NoClinicalApps:           domain.AccessStops,
		domain.OtherLocation:            domain.AccessReclassify,
	}
	rows := domain.DefaultWorksiteTypes()
	types := domain.IndexWorksiteTypes(rows)
	if len(rows) != len(want) || len(types) != len(want) {
		t.Fatalf("rows = %d, indexed = %d; want %d types", len(rows), len(types), len(want))
	}
	for lt, access := range want {
		p := types[lt]
		if p.Access != access {
			t.Errorf("%s: Access = %q; want %q", lt, p.Access, access)
		}
		// Every type without full access explains why.
		if access != domain.AccessYes && p.Reason == "" {
			t.Errorf("%s: Reason is empty; want an explanation for access %q", lt, access)
		}
	}
}
