package domain_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
)

func TestVisibility(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	app := func(id string, st domain.ApplicationState, at time.Time, reqs ...domain.Requirement) domain.Application {
		return domain.Application{Worksite: domain.WorksiteFacts{ID: id}, State: st, SubmittedAt: at, Requirements: reqs}
	}
	course := domain.Requirement{Key: "course", WaitingOn: domain.PartyApplicant}
	done := domain.Requirement{Key: "membership", Done: true}
	team := domain.Requirement{Key: "team", WaitingOn: domain.PartyEnrolmentTeam}
	for name, c := range map[string]struct {
		st   domain.UserStatus
		want domain.Visibility
	}{
		"no account yet": {domain.UserStatus{State: domain.UserIdentityValidated, WaitingOn: domain.PartyApplicant},
			domain.Visibility{Status: "identity_validated", WaitingOn: domain.PartyApplicant}},
		"an open application waits on its first outstanding requirement": {domain.UserStatus{State: domain.UserAccountRegistered,
			Profession: "physician", Applications: []domain.Application{app("AAAAAAA", domain.AppWaiting, t0, done, course)}},
			domain.Visibility{Status: "waiting", WaitingOn: domain.PartyApplicant, Profession: "physician", Worksites: []string{"AAAAAAA"}}},
		"the oldest open application wins over a newer decided one": {domain.UserStatus{State: domain.UserAccountRegistered,
			Applications: []domain.Application{app("BBBBBBB", domain.AppReady, t0, done, team), app("CCCCCCC", domain.AppProvisioned, t0.Add(time.Hour))}},
			domain.Visibility{Status: "ready_for_provisioning", WaitingOn: domain.PartyEnrolmentTeam, Worksites: []string{"BBBBBBB", "CCCCCCC"}}},
		"nothing open: the latest decision": {domain.UserStatus{State: domain.UserAccountRegistered, WaitingOn: domain.PartyApplicant,
			Applications: []domain.Application{app("BBBBBBB", domain.AppRejected, t0), app("CCCCCCC", domain.AppProvisioned, t0.Add(time.Hour))}},
			domain.Visibility{Status: "provisioned", Worksites: []string{"BBBBBBB", "CCCCCCC"}}},
		"suspended by the team": {domain.UserStatus{State: domain.UserAccountRegistered, AccessSuspended: &domain.AccessSuspension{Reason: "x"},
			Applications: []domain.Application{app("CCCCCCC", domain.AppSuspended, t0)}},
			domain.Visibility{Status: "access_suspended", WaitingOn: domain.PartyEnrolmentTeam, Worksites: []string{"CCCCCCC"}}},
	} {
		if got := c.st.Visibility(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %+v; want %+v", name, got, c.want)
		}
	}
	w := domain.WorksiteStatus{WorksiteID: "K4T6CLP", State: domain.WorksiteAwaitingReview, WaitingOn: domain.PartyEnrolmentTeam}
	if got, want := w.Visibility(), (domain.Visibility{Status: "awaiting_team_review", WaitingOn: domain.PartyEnrolmentTeam,
		Worksites: []string{"K4T6CLP"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("worksite: %+v; want %+v", got, want)
	}
}

// canaries fills every string of v (of any string type, through structs,
// slices, maps and pointers) with a value of its own that looks like
// personal information, and records each value's field path ("[]" for an
// index), so that a test can tell where a value it finds came from.
type canaries map[string]string

func (c canaries) fill(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		s := fmt.Sprintf("pii-%d@example.ca", len(c))
		c[s] = path
		v.SetString(s)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				c.fill(v.Field(i), strings.TrimPrefix(path+"."+f.Name, "."))
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // raw bytes (JSON): nothing Visibility reads
		}
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := 0; i < 2; i++ {
			c.fill(v.Index(i), path+"[]")
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		c.fill(v.Elem(), path)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return
		}
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		c.fill(k, path+"{}")
		c.fill(e, path+"[]")
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}

// TestVisibilityCarriesNoPersonalInformation: search attributes are never
// encrypted (Temporal indexes them), so Visibility may copy only a state,
// a party, the profession code and worksite IDs out of a status. Every
// string of the status is filled with a value of its own; each value of
// the Visibility must come from one of those fields, or be a constant.
func TestVisibilityCarriesNoPersonalInformation(t *testing.T) {
	allowed := map[string]bool{
		"State": true, "WaitingOn": true, "Profession": true, "WorksiteID": true,
		"Applications[].State": true, "Applications[].Worksite.ID": true, "Applications[].Requirements[].WaitingOn": true,
	}
	constants := map[string]bool{"": true, "access_suspended": true, string(domain.PartyEnrolmentTeam): true,
		string(domain.AppWaiting): true} // the "open" case sets it
	check := func(name string, c canaries, v domain.Visibility) {
		t.Helper()
		for _, got := range append([]string{v.Status, string(v.WaitingOn), v.Profession}, v.Worksites...) {
			path, fromStatus := c[got]
			switch {
			case fromStatus && !allowed[path]:
				t.Errorf("%s: Visibility shows %s (%q); only a state, a party, the profession and worksite IDs may be indexed", name, path, got)
			case !fromStatus && !constants[got]:
				t.Errorf("%s: Visibility shows %q, which is neither a field it may copy nor a constant", name, got)
			}
		}
	}

	// Every branch of UserStatus.Visibility: suspended; an open application
	// (its blocker's party); only decided applications (the latest).
	for name, edit := range map[string]func(*domain.UserStatus){
		"suspended":       func(*domain.UserStatus) {},
		"open":            func(s *domain.UserStatus) { s.AccessSuspended, s.Applications[0].State = nil, domain.AppWaiting },
		"decided":         func(s *domain.UserStatus) { s.AccessSuspended = nil },
		"no applications": func(s *domain.UserStatus) { s.AccessSuspended, s.Applications = nil, nil },
	} {
		var s domain.UserStatus
		c := canaries{}
		c.fill(reflect.ValueOf(&s).Elem(), "")
		edit(&s)
		check("user, "+name, c, s.Visibility())
	}
	var w domain.WorksiteStatus
	c := canaries{}
	c.fill(reflect.ValueOf(&w).Elem(), "")
	check("worksite", c, w.Visibility())
}
