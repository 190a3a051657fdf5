package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
)

// appFixtures are the default policy tables, indexed.
func appFixtures(t *testing.T) (domain.Professions, domain.WorksiteTypes) {
	t.Helper()
	return domain.IndexProfessions(domain.DefaultProfessions()), domain.IndexWorksiteTypes(domain.DefaultWorksiteTypes())
}

func TestCanApply(t *testing.T) {
	profs, types := appFixtures(t)
	qs := []domain.Question{
		{ID: "direct_clinical_care", Text: "Direct clinical care only", MustBeYes: true},
		{ID: "shared_device", Text: "Do you use a shared device?"},
	}
	yes := map[string]bool{"direct_clinical_care": true, "shared_device": false}
	// site is an approved worksite of type lt where the applicant is an active member.
	site := func(lt domain.LocationType, mod ...func(*domain.WorksiteFacts)) domain.WorksiteFacts {
		w := domain.WorksiteFacts{ID: "K4T6CLP", Name: "Main Street", Type: types[lt], State: domain.WorksiteApproved, Member: true}
		for _, m := range mod {
			m(&w)
		}
		return w
	}
	notMember := func(w *domain.WorksiteFacts) { w.Member = false }
	inState := func(s domain.WorksiteState) func(*domain.WorksiteFacts) {
		return func(w *domain.WorksiteFacts) { w.State = s }
	}
	tests := []struct {
		name       string
		profession string
		w          domain.WorksiteFacts
		answers    map[string]bool
		physical   bool
		wantCode   string
		// wantIn is a phrase of the message, or a field of an EINVALID error.
		wantIn string
	}{
		{"physician at a private practice", domain.ProfPhysician, site(domain.CommunityPrivatePractice), yes, false, "", ""},
		{"MOA at a pharmacy", domain.ProfMOA, site(domain.CommunityPharmacy), yes, false, "", ""},
		// The worksite need not be approved yet: the application waits for it.
		{"awaiting its declaration", domain.ProfPharmacist, site(domain.CommunityPharmacy, inState(domain.WorksiteAwaitingDeclaration)), yes,
			false, "", ""},
		{"awaiting the team's review", domain.ProfRegisteredNurse, site(domain.LongTermCareFacility, inState(domain.WorksiteAwaitingReview)), yes,
			false, "", ""},
		// Refusals, in the order DOMAIN gives them.
		{"non-designated profession", domain.ProfOther, site(domain.CommunityPrivatePractice), yes, false, domain.EUNPROCESSABLE,
			"not yet designated"},
		{"non-designated profession at a refused type", domain.ProfOther, site(domain.HealthAuthorityClinic, notMember), yes, false,
			domain.EUNPROCESSABLE, "not yet designated"},
		{"health authority clinic", domain.ProfPhysician, site(domain.HealthAuthorityClinic), yes, false, domain.EUNPROCESSABLE,
			"through the health authority"},
		{"no clinical apps", domain.ProfPhysician, site(domain.NoClinicalApps), yes, false, domain.EUNPROCESSABLE,
			"BC Services Card registration only"},
		{"other, not reclassified", domain.ProfPhysician, site(domain.OtherLocation), yes, false, domain.EUNPROCESSABLE, "reclassified"},
		{"home office, not provisioned at a physical worksite", domain.ProfPhysician, site(domain.HomeOffice), yes, false,
			domain.EUNPROCESSABLE, "home office"},
		{"home office, a profession without remote access", domain.ProfRegisteredNurse, site(domain.HomeOffice), yes, true,
			domain.EUNPROCESSABLE, "home office"},
		{"home office, physician provisioned at a physical worksite", domain.ProfPhysician, site(domain.HomeOffice), yes, true, "", ""},
		{"home office, nurse practitioner provisioned at a physical worksite", domain.ProfNursePractitioner, site(domain.HomeOffice), yes, true,
			"", ""},
		{"not a member", domain.ProfPhysician, site(domain.CommunityPrivatePractice, notMember), yes, false, domain.EUNPROCESSABLE,
			"join the worksite first"},
		{"closed worksite", domain.ProfPhysician, site(domain.CommunityPrivatePractice, inState(domain.WorksiteClosed)), yes, false,
			domain.EUNPROCESSABLE, "closed"},
		{"rejected worksite", domain.ProfPhysician, site(domain.CommunityPrivatePractice, inState(domain.WorksiteRejected)), yes, false,
			domain.EUNPROCESSABLE, "rejected"},
		{"lapsed worksite", domain.ProfPhysician, site(domain.CommunityPrivatePractice, inState(domain.WorksiteLapsed)), yes, false,
			domain.EUNPROCESSABLE, "lapsed"},
		// The questionnaire.
		{"a must-be-yes question unanswered", domain.ProfPhysician, site(domain.CommunityPrivatePractice),
			map[string]bool{"shared_device": true}, false, domain.EINVALID, "answers.direct_clinical_care"},
		{"no answers at all", domain.ProfPhysician, site(domain.CommunityPrivatePractice), nil, false, domain.EINVALID,
			"answers.direct_clinical_care"},
		{"a must-be-yes question answered no", domain.ProfPhysician, site(domain.CommunityPrivatePractice),
			map[string]bool{"direct_clinical_care": false, "shared_device": true}, false, domain.EINVALID, "answers.direct_clinical_care"},
		{"an optional question unanswered", domain.ProfPhysician, site(domain.CommunityPrivatePractice),
			map[string]bool{"direct_clinical_care": true}, false, domain.EINVALID, "answers.shared_device"},
		{"an unknown question", domain.ProfPhysician, site(domain.CommunityPrivatePractice),
			map[string]bool{"direct_clinical_care": true, "shared_device": false, "research": true}, false, domain.EINVALID, "answers.research"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := profs[tt.profession]
			if !ok {
				t.Fatalf("no profession %q", tt.profession)
			}
			err := domain.CanApply(p, tt.w, tt.answers, qs, tt.physical)
			if got := domain.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("CanApply = %v (code %q); want code %q", err, got, tt.wantCode)
			}
			if err == nil {
				return
			}
			var e *domain.Error
			if !errors.As(err, &e) {
				t.Fatalf("CanApply = %T; want a *domain.Error", err)
			}
			if tt.wantCode == domain.EINVALID {
				if _, ok := e.Fields[tt.wantIn]; !ok {
					t.Errorf("fields = %v; want %q among them", e.Fields, tt.wantIn)
				}
				return
			}
			if !strings.Contains(e.Message, tt.wantIn) {
				t.Errorf("message %q; want it to mention %q", e.Message, tt.wantIn)
			}
		})
	}
}

// reqSummary shows requirements as "key(waitingOn)" when outstanding and "key:done" when done.
func reqSummary(rs []domain.Requirement) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		if r.Done {
			out[i] = r.Key + ":done"
		} else {
			out[i] = r.Key + "(" + string(r.WaitingOn) + ")"
		}
	}
	return strings.Join(out, " ")
}

func TestApplicationRequirements(t *testing.T) {
	profs, types := appFixtures(t)
	submitted := time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)
	stateSince := submitted.Add(-48 * time.Hour)
	done := submitted.Add(time.Hour)
	none := domain.PersonFacts{}
	both := domain.PersonFacts{CourseCompletedAt: &done, AgreementAcknowledgedAt: &done}
	asked := submitted.Add(2 * time.Hour)
	requested := domain.PersonFacts{CourseCompletedAt: &done, AgreementAcknowledgedAt: &done, SponsorshipRequestedAt: &asked}
	sponsored := domain.PersonFacts{CourseCompletedAt: &done, AgreementAcknowledgedAt: &done, SponsorshipRequestedAt: &asked, Sponsored: true}
	w := func(s domain.WorksiteState, suspended, member bool) domain.WorksiteFacts {
		return domain.WorksiteFacts{ID: "K4T6CLP", Type: types[domain.CommunityPrivatePractice], State: s, Suspended: suspended,
			Member: member, StateSince: stateSince}
	}
	tests := []struct {
		name       string
		profession string
		w          domain.WorksiteFacts
		person     domain.PersonFacts
		want       string
		// wantWorksite is a phrase of the worksite requirement's description.
		wantWorksite string
	}{
		{"awaiting the declaration", domain.ProfPhysician, w(domain.WorksiteAwaitingDeclaration, false, true), none,
			"membership:done worksite(signing_authority) course(applicant) hpcaa(applicant)", "Declaration must be signed"},
		{"awaiting the team's review", domain.ProfPhysician, w(domain.WorksiteAwaitingReview, false, true), none,
			"membership:done worksite(enrolment_team) course(applicant) hpcaa(applicant)", "approve the worksite"},
		{"approved", domain.ProfPhysician, w(domain.WorksiteApproved, false, true), none,
			"membership:done worksite:done course(applicant) hpcaa(applicant)", ""},
		{"approved but suspended", domain.ProfPhysician, w(domain.WorksiteApproved, true, true), both,
			"membership:done worksite(enrolment_team) course:done hpcaa:done", "suspended"},
		{"lapsed", domain.ProfPhysician, w(domain.WorksiteLapsed, false, true), both,
			"membership:done worksite(enrolment_team) course:done hpcaa:done", "lapsed"},
		{"closed", domain.ProfPhysician, w(domain.WorksiteClosed, false, true), both,
			"membership:done worksite(enrolment_team) course:done hpcaa:done", "closed"},
		{"no longer a member", domain.ProfPhysician, w(domain.WorksiteApproved, false, false), both,
			"membership(site_administrator) worksite:done course:done hpcaa:done", ""},
		{"every condition holds", domain.ProfPhysician, w(domain.WorksiteApproved, false, true), both,
			"membership:done worksite:done course:done hpcaa:done", ""},
		{"course done, HPCAA not", domain.ProfNursePractitioner, w(domain.WorksiteApproved, false, true),
			domain.PersonFacts{CourseCompletedAt: &done}, "membership:done worksite:done course:done hpcaa(applicant)", ""},
		// The HPCAA only where the profession needs it.
		// An on-behalf-of user first requests sponsorship, then waits on the sponsor.
		{"MOA: no HPCAA, a sponsor not yet requested", domain.ProfMOA, w(domain.WorksiteApproved, false, true), both,
			"membership:done worksite:done course:done sponsor(applicant)", ""},
		{"resident: the HPCAA and a sponsor not yet requested", domain.ProfResident, w(domain.WorksiteApproved, false, true), both,
			"membership:done worksite:done course:done hpcaa:done sponsor(applicant)", ""},
		{"MOA: sponsorship requested", domain.ProfMOA, w(domain.WorksiteApproved, false, true), requested,
			"membership:done worksite:done course:done sponsor(sponsor)", ""},
		{"resident: sponsorship requested", domain.ProfResident, w(domain.WorksiteApproved, false, true), requested,
			"membership:done worksite:done course:done hpcaa:done sponsor(sponsor)", ""},
		{"MOA: sponsored", domain.ProfMOA, w(domain.WorksiteApproved, false, true), sponsored,
			"membership:done worksite:done course:done sponsor:done", ""},
		{"resident: sponsored", domain.ProfResident, w(domain.WorksiteApproved, false, true), sponsored,
			"membership:done worksite:done course:done hpcaa:done sponsor:done", ""},
		// Sponsorship does not stand in for the applicant's own conditions.
		{"MOA: sponsored, course not done", domain.ProfMOA, w(domain.WorksiteApproved, false, true),
			domain.PersonFacts{SponsorshipRequestedAt: &asked, Sponsored: true}, "membership:done worksite:done course(applicant) sponsor:done", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := profs[tt.profession]
			rs := domain.ApplicationRequirements(p, tt.w, tt.person, submitted)
			if got := reqSummary(rs); got != tt.want {
				t.Errorf("requirements = %s; want %s", got, tt.want)
			}
			for _, r := range rs {
				// Done clears who must act; an outstanding one always names them.
				if r.Done != (r.WaitingOn == domain.PartyNone) {
					t.Errorf("%s: done %v, waiting on %q; want someone named exactly when outstanding", r.Key, r.Done, r.WaitingOn)
				}
				if r.Description == "" {
					t.Errorf("%s: no description", r.Key)
				}
				wantSince := submitted
				if r.Key == "worksite" {
					wantSince = stateSince
				}
				// Once requested, the sponsor has been waited on since the request.
				if r.Key == "sponsor" && tt.person.SponsorshipRequestedAt != nil {
					wantSince = *tt.person.SponsorshipRequestedAt
				}
				if !r.Since.Equal(wantSince) {
					t.Errorf("%s: since %v; want %v", r.Key, r.Since, wantSince)
				}
				if r.Key == "worksite" && !strings.Contains(r.Description, tt.wantWorksite) {
					t.Errorf("worksite requirement %q; want it to mention %q", r.Description, tt.wantWorksite)
				}
				// The sponsor blocker tells the applicant to request sponsorship from an
				// authorizer, then says an authorizer must approve it.
				if r.Key == "sponsor" && !r.Done {
					if !strings.Contains(r.Description, "sponsor") || !strings.Contains(r.Description, "authorizer") {
						t.Errorf("sponsor requirement %+v; want it to name the sponsorship and the authorizer", r)
					}
					if tt.person.SponsorshipRequestedAt == nil && !strings.Contains(r.Description, "request sponsorship") {
						t.Errorf("sponsor requirement %+v; want it to ask the applicant to request sponsorship", r)
					}
					if tt.person.SponsorshipRequestedAt != nil && !strings.Contains(r.Description, "approve") {
						t.Errorf("sponsor requirement %+v; want it to say the authorizer must approve", r)
					}
				}
				if r.Key == "sponsor" && r.Done != tt.person.Sponsored {
					t.Errorf("sponsor requirement %+v; want done exactly when sponsored (%v)", r, tt.person.Sponsored)
				}
			}
		})
	}
}

func TestDefaultBusinessRole(t *testing.T) {
	profs, _ := appFixtures(t)
	tests := []struct {
		profession string
		lt         domain.LocationType
		context    string
		function   string
	}{
		{domain.ProfPhysician, domain.CommunityPrivatePractice, "Community Services", "Prescriber"},
		{domain.ProfNursePractitioner, domain.FirstNationsFacility, "Community Services", "Prescriber"},
		{domain.ProfPharmacist, domain.CommunityPharmacy, "Pharmacy", "Prescriber"},
		{domain.ProfPhysician, domain.LongTermCareFacility, "Long-Term Care", "Prescriber"},
		// A resident is on behalf of, yet prescribes.
		{domain.ProfResident, domain.CommunityPrivatePractice, "Community Services", "Prescriber"},
		{domain.ProfMOA, domain.CommunityPrivatePractice, "Community Services", "Clinical Support Staff"},
		{domain.ProfMOA, domain.CommunityPharmacy, "Pharmacy", "Clinical Support Staff"},
		{domain.ProfRegisteredNurse, domain.LongTermCareFacility, "Long-Term Care", "Non-Prescriber Clinician"},
		{domain.ProfSocialWorker, domain.CommunityPrivatePractice, "Community Services", "Non-Prescriber Clinician"},
		{domain.ProfLPN, domain.CommunityPharmacy, "Pharmacy", "Non-Prescriber Clinician"},
		{domain.ProfNursePractitioner, domain.HomeOffice, "Community Services", "Prescriber"},
	}
	for _, tt := range tests {
		t.Run(tt.profession+"/"+string(tt.lt), func(t *testing.T) {
			p, ok := profs[tt.profession]
			if !ok {
				t.Fatalf("no profession %q", tt.profession)
			}
			got := domain.DefaultBusinessRole(p, tt.lt)
			if want := (domain.BusinessRole{RoleContext: tt.context, FunctionalDescription: tt.function}); got != want {
				t.Errorf("DefaultBusinessRole = %+v; want %+v", got, want)
			}
		})
	}
}

func TestReady(t *testing.T) {
	profs, types := appFixtures(t)
	done := time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)
	approved := domain.WorksiteFacts{ID: "K4T6CLP", Type: types[domain.CommunityPrivatePractice], State: domain.WorksiteApproved, Member: true}
	both := domain.PersonFacts{CourseCompletedAt: &done, AgreementAcknowledgedAt: &done}
	tests := []struct {
		name string
		rs   []domain.Requirement
		want bool
	}{
		{"every requirement done", []domain.Requirement{{Key: "a", Done: true}, {Key: "b", Done: true}}, true},
		{"one outstanding", []domain.Requirement{{Key: "a", Done: true}, {Key: "b", WaitingOn: domain.PartyApplicant}}, false},
		{"the first outstanding", []domain.Requirement{{Key: "a", WaitingOn: domain.PartySiteAdmin}, {Key: "b", Done: true}}, false},
		{"a physician with every condition", domain.ApplicationRequirements(profs[domain.ProfPhysician], approved, both, done), true},
		{"a physician without the HPCAA", domain.ApplicationRequirements(profs[domain.ProfPhysician], approved,
			domain.PersonFacts{CourseCompletedAt: &done}, done), false},
		// Not sponsored: an MOA is never ready on their own, requested or not.
		{"an MOA with every condition but the sponsor", domain.ApplicationRequirements(profs[domain.ProfMOA], approved, both, done), false},
		{"an MOA whose sponsorship is requested", domain.ApplicationRequirements(profs[domain.ProfMOA], approved,
			domain.PersonFacts{CourseCompletedAt: &done, SponsorshipRequestedAt: &done}, done), false},
		{"a sponsored MOA with every condition", domain.ApplicationRequirements(profs[domain.ProfMOA], approved,
			domain.PersonFacts{CourseCompletedAt: &done, SponsorshipRequestedAt: &done, Sponsored: true}, done), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.Ready(tt.rs); got != tt.want {
				t.Errorf("Ready(%s) = %v; want %v", reqSummary(tt.rs), got, tt.want)
			}
		})
	}
}

func TestCanSponsor(t *testing.T) {
	profs, _ := appFixtures(t)
	asked := time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	app := func(mod ...func(*domain.Application)) domain.Application {
		a := domain.Application{State: domain.AppWaiting, SponsorshipRequestedAt: &asked}
		for _, m := range mod {
			m(&a)
		}
		return a
	}
	notRequested := func(a *domain.Application) { a.SponsorshipRequestedAt = nil }
	sponsored := func(a *domain.Application) {
		a.Sponsorship = &domain.Sponsorship{SponsorSubject: "bcsc-dr-lee", SponsorName: "Dr Lee", ApprovedAt: asked}
	}
	inState := func(s domain.ApplicationState) func(*domain.Application) {
		return func(a *domain.Application) { a.State = s }
	}
	tests := []struct {
		name       string
		profession string
		a          domain.Application
		start, end *time.Time
		wantCode   string
		// wantIn is a phrase of the message, or the fields of an EINVALID error.
		wantIn []string
		// sponsor is the sponsor's profession; "" is a physician.
		sponsor string
	}{
		{"MOA, requested", domain.ProfMOA, app(), nil, nil, "", nil, ""},
		// Dates are a resident's only; an MOA's are not refused.
		{"MOA with dates", domain.ProfMOA, app(), &start, &end, "", nil, ""},
		{"resident with dates", domain.ProfResident, app(), &start, &end, "", nil, ""},
		{"ready application", domain.ProfMOA, app(inState(domain.AppReady)), nil, nil, "", nil, ""},
		{"profession without a sponsor", domain.ProfPhysician, app(), nil, nil, domain.EUNPROCESSABLE, []string{"does not need a sponsor"}, ""},
		{"not requested", domain.ProfMOA, app(notRequested), nil, nil, domain.EUNPROCESSABLE, []string{"no sponsorship was requested"}, ""},
		{"already sponsored", domain.ProfMOA, app(sponsored), nil, nil, domain.ECONFLICT, []string{"already sponsored", "Dr Lee"}, ""},
		{"provisioned", domain.ProfMOA, app(inState(domain.AppProvisioned)), nil, nil, domain.EUNPROCESSABLE, []string{"provisioned"}, ""},
		{"rejected", domain.ProfMOA, app(inState(domain.AppRejected)), nil, nil, domain.EUNPROCESSABLE, []string{"rejected"}, ""},
		// A resident's residency bounds their access.
		{"resident without dates", domain.ProfResident, app(), nil, nil, domain.EINVALID, []string{"residencyStart", "residencyEnd"}, ""},
		{"resident without a start", domain.ProfResident, app(), nil, &end, domain.EINVALID, []string{"residencyStart"}, ""},
		{"resident without an end", domain.ProfResident, app(), &start, nil, domain.EINVALID, []string{"residencyEnd"}, ""},
		{"resident ending before the start", domain.ProfResident, app(), &end, &start, domain.EINVALID, []string{"residencyEnd"}, ""},
		{"resident ending at the start", domain.ProfResident, app(), &start, &start, domain.EINVALID, []string{"residencyEnd"}, ""},
		// Refusals other than the dates come first.
		{"resident not requested, without dates", domain.ProfResident, app(notRequested), nil, nil, domain.EUNPROCESSABLE,
			[]string{"no sponsorship was requested"}, ""},
		// A resident's sponsor is a physician (the policy table's "may sponsor residents").
		{"resident sponsored by a nurse practitioner", domain.ProfResident, app(), &start, &end, domain.EUNPROCESSABLE,
			[]string{"sponsored by a physician"}, domain.ProfNursePractitioner},
		{"MOA sponsored by a nurse practitioner", domain.ProfMOA, app(), nil, nil, "", nil, domain.ProfNursePractitioner},
		{"MOA sponsored by a pharmacist", domain.ProfMOA, app(), nil, nil, domain.EUNPROCESSABLE, []string{"may not sponsor"}, domain.ProfPharmacist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := profs[tt.profession]
			if !ok {
				t.Fatalf("no profession %q", tt.profession)
			}
			sponsor := profs[domain.ProfPhysician]
			if tt.sponsor != "" {
				sponsor = profs[tt.sponsor]
			}
			err := domain.CanSponsor(tt.a, p, sponsor, tt.start, tt.end)
			if got := domain.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("CanSponsor = %v (code %q); want code %q", err, got, tt.wantCode)
			}
			if err == nil {
				return
			}
			var e *domain.Error
			if !errors.As(err, &e) {
				t.Fatalf("CanSponsor = %T; want a *domain.Error", err)
			}
			if tt.wantCode == domain.EINVALID {
				for _, f := range tt.wantIn {
					if _, ok := e.Fields[f]; !ok {
						t.Errorf("fields = %v; want %q among them", e.Fields, f)
					}
				}
				if len(e.Fields) != len(tt.wantIn) {
					t.Errorf("fields = %v; want exactly %v", e.Fields, tt.wantIn)
				}
				return
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message %q; want it to mention %q", e.Message, w)
				}
			}
		})
	}
}

// TestProvisionedRole: a sponsor's role is that of their provisioned
// application at the worksite, and only that.
func TestProvisionedRole(t *testing.T) {
	role := &domain.BusinessRole{RoleContext: "Community", FunctionalDescription: "Physician"}
	at := func(id string, state domain.ApplicationState, r *domain.BusinessRole) domain.Application {
		return domain.Application{Worksite: domain.WorksiteFacts{ID: id}, State: state, BusinessRole: r}
	}
	cases := []struct {
		name string
		apps []domain.Application
		ok   bool
	}{
		{"provisioned here", []domain.Application{at("OTHER01", domain.AppProvisioned, nil), at("K4T6CLP", domain.AppProvisioned, role)}, true},
		{"provisioned elsewhere only", []domain.Application{at("OTHER01", domain.AppProvisioned, role)}, false},
		{"ready here, not yet provisioned", []domain.Application{at("K4T6CLP", domain.AppReady, nil)}, false},
		// Suspended access gives no one a role to sponsor under.
		{"suspended here", []domain.Application{at("K4T6CLP", domain.AppSuspended, role)}, false},
		{"provisioned without a role (never written so)", []domain.Application{at("K4T6CLP", domain.AppProvisioned, nil)}, false},
		{"no applications", nil, false},
	}
	for _, c := range cases {
		got, ok := domain.ProvisionedRole(c.apps, "K4T6CLP")
		if ok != c.ok || (ok && got != role) {
			t.Errorf("%s: ProvisionedRole = %v, %v; want ok %v", c.name, got, ok, c.ok)
		}
	}
}

// TestFollowAccess: provisioned access follows the membership, the
// worksite's suspension and the person's.
func TestFollowAccess(t *testing.T) {
	const id = "K4T6CLP"
	app := func(state domain.ApplicationState) domain.Application {
		return domain.Application{Worksite: domain.WorksiteFacts{ID: id}, State: state}
	}
	member := []domain.UserWorksite{{WorksiteID: "OTHER01", Active: false}, {WorksiteID: id, Active: true}}
	suspendedSite := []domain.UserWorksite{{WorksiteID: id, Active: true, Suspended: true}}
	inactive := []domain.UserWorksite{{WorksiteID: id, Active: false}}
	personal := &domain.AccessSuspension{Reason: "under review"}
	cases := []struct {
		name      string
		a         domain.Application
		worksites []domain.UserWorksite
		personal  *domain.AccessSuspension
		ok        bool
		state     domain.ApplicationState
		reason    string
		action    string
	}{
		// Nothing to follow: not provisioned, or nothing changed.
		{"waiting application", app(domain.AppWaiting), inactive, nil, false, "", "", ""},
		{"ended application", app(domain.AppEnded), inactive, personal, false, "", "", ""},
		{"provisioned, member, nothing suspended", app(domain.AppProvisioned), member, nil, false, "", "", ""},
		{"suspended, worksite still suspended", app(domain.AppSuspended), suspendedSite, nil, false, "", "", ""},
		{"suspended, person still suspended", app(domain.AppSuspended), member, personal, false, "", "", ""},
		// The membership ends access, whatever else holds.
		{"membership deactivated", app(domain.AppProvisioned), inactive, nil, true, domain.AppEnded,
			"the membership at this worksite was deactivated", "access ended"},
		{"suspended, then deactivated", app(domain.AppSuspended), inactive, personal, true, domain.AppEnded,
			"the membership at this worksite was deactivated", "access ended"},
		{"no membership reported at all", app(domain.AppProvisioned), nil, nil, true, domain.AppEnded,
			"the membership at this worksite was deactivated", "access ended"},
		// The person's suspension comes first, with the team's reason.
		{"person suspended", app(domain.AppProvisioned), suspendedSite, personal, true, domain.AppSuspended,
			"the enrolment team suspended your access: under review", "access suspended"},
		{"worksite suspended", app(domain.AppProvisioned), suspendedSite, nil, true, domain.AppSuspended,
			"the worksite is suspended", "access suspended"},
		// Restored once neither holds.
		{"restored", app(domain.AppSuspended), member, nil, true, domain.AppProvisioned, "", "access restored"},
	}
	for _, c := range cases {
		got, ok := domain.FollowAccess(c.a, c.worksites, c.personal)
		if ok != c.ok || got.State != c.state || got.Reason != c.reason || got.Action != c.action || (ok && got.Change == "") {
			t.Errorf("%s: FollowAccess = %+v, %v; want %v %q %q %q with a change told", c.name, got, ok, c.ok, c.state, c.reason, c.action)
		}
	}
}

// TestSettleRequirements: provisioned or suspended access waits on nobody;
// every other state keeps its requirements as they were.
func TestSettleRequirements(t *testing.T) {
	decided := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	rs := []domain.Requirement{{Key: "course", Done: true}, {Key: "team", WaitingOn: domain.PartyEnrolmentTeam}}
	for _, c := range []struct {
		state   domain.ApplicationState
		settled bool
	}{
		{domain.AppProvisioned, true}, // the team provisioned it: its step is done
		{domain.AppSuspended, true},   // suspension is not the applicant's step to take
		{domain.AppReady, false},      // still the team's
		{domain.AppLapsed, false},     // shows what was missing
	} {
		got := domain.SettleRequirements(domain.Application{State: c.state, Requirements: rs, DecidedAt: &decided})
		team := got[1]
		if c.settled != (team.Done && team.WaitingOn == domain.PartyNone) {
			t.Errorf("%s: team step = %+v; want settled %v", c.state, team, c.settled)
		}
		if c.settled && !team.Since.Equal(decided) {
			t.Errorf("%s: team step since %v; want the decision %v", c.state, team.Since, decided)
		}
	}
	if rs[1].Done {
		t.Errorf("SettleRequirements changed its input")
	}
}

// TestApplicationRenewable: only a finished application gives way to a new one.
func TestApplicationRenewable(t *testing.T) {
	for _, c := range []struct {
		state domain.ApplicationState
		want  bool
	}{
		{domain.AppWaiting, false}, {domain.AppReady, false}, {domain.AppProvisioned, false}, {domain.AppSuspended, false},
		{domain.AppLapsed, true}, {domain.AppRejected, true}, {domain.AppEnded, true}, {domain.AppSentBack, true},
	} {
		if got := (domain.Application{State: c.state}).Renewable(); got != c.want {
			t.Errorf("%s renewable = %v; want %v", c.state, got, c.want)
		}
	}
	first := domain.Application{Worksite: domain.WorksiteFacts{ID: "K4T6CLP"}}
	second := first
	second.Attempt = 1
	if first.KeyPart() != "K4T6CLP" || second.KeyPart() != "K4T6CLP/attempt/1" {
		t.Errorf("key parts %q, %q; want the first unchanged and the second apart", first.KeyPart(), second.KeyPart())
	}
}
