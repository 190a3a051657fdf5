package workflows_test

import (
	"strings"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/workflows"
)

// TestApplicationEveryProfession walks one application per profession of
// the default policy table to provisioning: what each must complete
// (course, HPCAA, sponsor) is stated here, not derived from the table, so a
// change to the table or to the rules shows up as a failure.
func TestApplicationEveryProfession(t *testing.T) {
	type want struct {
		refused            bool
		hpcaa, sponsor     bool
		defaultDescription string // functional description of the default business role, when not sponsored
	}
	cases := map[string]want{
		domain.ProfPhysician:         {hpcaa: true, defaultDescription: "Prescriber"},
		domain.ProfNursePractitioner: {hpcaa: true, defaultDescription: "Prescriber"},
		domain.ProfRegisteredNurse:   {hpcaa: true, defaultDescription: "Non-Prescriber Clinician"},
		domain.ProfResident:          {hpcaa: true, sponsor: true},
		domain.ProfPharmacist:        {hpcaa: true, defaultDescription: "Prescriber"},
		domain.ProfRPN:               {hpcaa: true, defaultDescription: "Non-Prescriber Clinician"},
		domain.ProfLPN:               {hpcaa: true, defaultDescription: "Non-Prescriber Clinician"},
		domain.ProfSocialWorker:      {hpcaa: true, defaultDescription: "Non-Prescriber Clinician"},
		domain.ProfMOA:               {sponsor: true},
		domain.ProfOther:             {refused: true},
	}
	if len(cases) != len(domain.DefaultProfessions()) {
		t.Fatalf("%d cases for %d professions: add the new profession here", len(cases), len(domain.DefaultProfessions()))
	}
	sponsorRole := domain.BusinessRole{RoleContext: "Community Services", FunctionalDescription: "Prescriber"}
	start, end := defaultStart.Add(24*time.Hour), defaultStart.Add(365*24*time.Hour)
	for code, w := range cases {
		t.Run(code, func(t *testing.T) {
			h := newUserHarness(t, defaultStart)
			h.registered(time.Minute, "register")
			applied := h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, code)))
			h.learn(2*time.Hour, "evt-course", learninghub.TypeCourseCompleted)
			afterCourse := h.query(2*time.Hour + time.Minute)
			if w.sponsor {
				h.update(3*time.Hour, workflows.UpdateRequestSponsorship, "request", workflows.SponsorshipRequest{WorksiteID: "K4T6CLP",
					Authorizers: []domain.Person{{Name: "Dr Jane Smith", Email: "jane@example.test"}}, RequestID: "req-request"})
				approval := workflows.SponsorshipApproval{WorksiteID: "K4T6CLP", SponsorProfession: profession(t, domain.ProfPhysician), SponsorSubject: "bcsc-jane", SponsorName: "Dr Jane Smith",
					Role: sponsorRole, RequestID: "req-approve"}
				if code == domain.ProfResident {
					approval.ResidencyStart, approval.ResidencyEnd = &start, &end
				}
				h.update(4*time.Hour, workflows.UpdateApproveSponsorship, "approve", approval)
			}
			if w.hpcaa {
				h.learn(5*time.Hour, "evt-hpcaa", learninghub.TypeAgreementAcknowledged)
			}
			ready := h.query(6 * time.Hour)
			provisioned := h.update(7*time.Hour, workflows.UpdateProvisionApplication, "provision",
				workflows.ApplicationDecision{WorksiteID: "K4T6CLP", Actor: "team-1", RequestID: "req-prov"})
			h.runUntil(userInput(domain.DefaultSchedule()), 8*time.Hour)

			if w.refused {
				if applied.accepted || applied.rejected == nil || userRejectedType(t, applied.rejected) != domain.EUNPROCESSABLE {
					t.Fatalf("application by %s: accepted %v, rejected %v; want it refused as EUNPROCESSABLE", code, applied.accepted, applied.rejected)
				}
				if st := h.lastProjection(); len(st.Applications) != 0 {
					t.Errorf("a refused application left %+v", st.Applications)
				}
				return
			}
			h.mustAccepted("submit", applied)
			a := h.mustStatus(afterCourse).Applications[0]
			if got := hasOutstanding(a, "hpcaa"); got != w.hpcaa {
				t.Errorf("after the course, HPCAA outstanding = %v; want %v (%+v)", got, w.hpcaa, a.Requirements)
			}
			if got := hasOutstanding(a, "sponsor"); got != w.sponsor {
				t.Errorf("after the course, sponsor outstanding = %v; want %v (%+v)", got, w.sponsor, a.Requirements)
			}
			if a.State != domain.AppWaiting && (w.hpcaa || w.sponsor) {
				t.Errorf("after the course alone: %s; want waiting", a.State)
			}
			if a := h.mustStatus(ready).Applications[0]; a.State != domain.AppReady || !hasOutstanding(a, "team") {
				t.Errorf("with every step done: %s %+v; want ready, waiting on the team", a.State, a.Requirements)
			}
			final := h.mustAccepted("provision", provisioned).Applications[0]
			if final.State != domain.AppProvisioned || final.BusinessRole == nil {
				t.Fatalf("after provisioning: %+v; want provisioned with a business role", final)
			}
			switch {
			case w.sponsor && *final.BusinessRole != sponsorRole:
				t.Errorf("business role %+v; want the sponsor's %+v", *final.BusinessRole, sponsorRole)
			case w.defaultDescription != "" && final.BusinessRole.FunctionalDescription != w.defaultDescription:
				t.Errorf("business role %+v; want %q", *final.BusinessRole, w.defaultDescription)
			}
		})
	}
}

// TestApplicationEveryWorksiteType: a physician applies at each worksite
// type of the default policy table; the types where CareConnect access is
// refused, stops, waits for reclassification or is restricted to remote
// professions already provisioned elsewhere refuse the application with a
// reason, and the others accept it.
func TestApplicationEveryWorksiteType(t *testing.T) {
	cases := map[domain.LocationType]string{ // "" = accepted, else a word the refusal must contain
		domain.CommunityPrivatePractice: "",
		domain.HomeOffice:               "home office",
		domain.FirstNationsFacility:     "",
		domain.HealthAuthorityClinic:    "health authority",
		domain.CommunityPharmacy:        "",
		domain.LongTermCareFacility:     "",
		domain.NoClinicalApps:           "registration only",
		domain.OtherLocation:            "reclassified",
	}
	types := domain.DefaultWorksiteTypes()
	if len(cases) != len(types) {
		t.Fatalf("%d cases for %d worksite types: add the new type here", len(cases), len(types))
	}
	for _, typ := range types {
		t.Run(string(typ.Type), func(t *testing.T) {
			refusal, ok := cases[typ.Type]
			if !ok {
				t.Fatalf("no case for %s", typ.Type)
			}
			h := newUserHarness(t, defaultStart)
			h.registered(time.Minute, "register")
			in := submit(profession(t, domain.ProfPhysician))
			in.Worksite.Type = typ
			applied := h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", in)
			h.runUntil(userInput(domain.DefaultSchedule()), 2*time.Hour)
			if refusal == "" {
				st := h.mustAccepted("submit", applied)
				if len(st.Applications) != 1 || st.Applications[0].State != domain.AppWaiting {
					t.Errorf("applications %+v; want one waiting", st.Applications)
				}
				return
			}
			if applied.accepted || applied.rejected == nil {
				t.Fatalf("application at %s was accepted; want it refused", typ.Type)
			}
			if got := userRejectedType(t, applied.rejected); got != domain.EUNPROCESSABLE {
				t.Errorf("refused as %q; want %q", got, domain.EUNPROCESSABLE)
			}
			if !containsFold(applied.rejected.Error(), refusal) {
				t.Errorf("refusal %q does not say %q", applied.rejected.Error(), refusal)
			}
		})
	}
}

// TestTeamSuspendsAPersonsAccess: the enrolment team suspends a provisioned
// person's access with a reason (audited with who and why); the access is
// suspended at every worksite, a second suspension and a reinstatement of
// someone not suspended are refused, and reinstating restores it.
func TestTeamSuspendsAPersonsAccess(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	var audited []domain.AuditEvent
	h.onAudit = func(e domain.AuditEvent) {
		audited = append(audited, e)
	}
	h.registered(time.Minute, "register")
	joined := h.memberNotice(20*time.Minute, "K4T6CLP", "joined", true, false)
	joined.WorksiteState = domain.WorksiteApproved
	h.notify(20*time.Minute, joined)
	notSuspended := h.update(30*time.Minute, workflows.UpdateReinstateAccess, "reinstate-early",
		workflows.AccessDecision{Actor: "team-1", Reason: "nothing to reinstate"})
	h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfPhysician)))
	h.learn(2*time.Hour, "evt-course", learninghub.TypeCourseCompleted)
	h.learn(3*time.Hour, "evt-hpcaa", learninghub.TypeAgreementAcknowledged)
	h.update(4*time.Hour, workflows.UpdateProvisionApplication, "provision", workflows.ApplicationDecision{WorksiteID: "K4T6CLP", Actor: "team-1"})
	noReason := h.update(5*time.Hour, workflows.UpdateSuspendAccess, "suspend-no-reason", workflows.AccessDecision{Actor: "team-1"})
	suspended := h.update(5*time.Hour+time.Minute, workflows.UpdateSuspendAccess, "suspend",
		workflows.AccessDecision{Actor: "team-1", Reason: "audit finding 2026-14", RequestID: "req-susp"})
	twice := h.update(5*time.Hour+2*time.Minute, workflows.UpdateSuspendAccess, "suspend-again",
		workflows.AccessDecision{Actor: "team-1", Reason: "again"})
	during := h.query(5*time.Hour + 30*time.Minute)
	reinstated := h.update(6*time.Hour, workflows.UpdateReinstateAccess, "reinstate",
		workflows.AccessDecision{Actor: "team-2", Reason: "finding closed"})
	h.runUntil(userInput(domain.DefaultSchedule()), 7*time.Hour)

	for name, tc := range map[string]struct {
		o    *userUpdate
		want string
	}{"reinstating someone not suspended": {notSuspended, domain.ECONFLICT}, "a suspension without a reason": {noReason, domain.EINVALID},
		"a second suspension": {twice, domain.ECONFLICT}} {
		if tc.o.accepted || tc.o.rejected == nil {
			t.Errorf("%s was accepted; want it refused", name)
		} else if got := userRejectedType(t, tc.o.rejected); got != tc.want {
			t.Errorf("%s refused as %q; want %q", name, got, tc.want)
		}
	}
	h.mustAccepted("suspend", suspended)
	st := h.mustStatus(during) // the update's result shares slices with later state in the testsuite
	if st.AccessSuspended == nil || st.AccessSuspended.By != "team-1" || st.AccessSuspended.Reason != "audit finding 2026-14" {
		t.Errorf("suspension = %+v; want team-1's, with the reason", st.AccessSuspended)
	}
	if a := st.Applications[0]; a.State != domain.AppSuspended || !containsFold(a.Reason, "enrolment team") {
		t.Errorf("application while suspended: %s (%q); want suspended by the enrolment team", a.State, a.Reason)
	}
	st = h.mustAccepted("reinstate", reinstated)
	if st.AccessSuspended != nil || st.Applications[0].State != domain.AppProvisioned {
		t.Errorf("after reinstatement: suspension %+v, application %s; want none, provisioned", st.AccessSuspended, st.Applications[0].State)
	}
	var actions []string
	for _, e := range audited {
		actions = append(actions, e.Actor+": "+e.Action)
	}
	want := []string{"team-1: access suspended by the enrolment team", "system: access suspended",
		"team-2: access reinstated by the enrolment team", "system: access restored"}
	if len(actions) != len(want) {
		t.Fatalf("audited %q; want %q", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Errorf("audit %d = %q; want %q", i, actions[i], want[i])
		}
	}
	if audited[0].Detail != "audit finding 2026-14" || audited[0].Subject != "person:"+userSubject {
		t.Errorf("suspension audit = %+v; want the reason, on the person", audited[0])
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
