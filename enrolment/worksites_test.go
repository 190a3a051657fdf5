package enrolment_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/workflows"
)

// worksite is the fixtures' worksite, registered by ada.
var worksite = domain.Worksite{ID: "K4T6CLP", Name: "Proctor Clinic", Phone: "(604) 555-4555", Email: "front@proctor.example.ca",
	Address:      domain.Address{Unit: "101", StreetNumber: "370", StreetName: "Broadway E", City: "Vancouver", Province: "BC", PostalCode: "V5T 4G5"},
	LocationType: domain.CommunityPrivatePractice, SubOption: "physician_led", EMR: "OSCAR", RegisteredAt: now}

// registration is a valid registration of worksite.
func registration() domain.WorksiteRegistration {
	w := worksite
	return domain.WorksiteRegistration{Name: w.Name, Phone: w.Phone, Email: w.Email, Address: w.Address,
		LocationType: w.LocationType, SubOption: w.SubOption, EMR: w.EMR}
}

// knowsWorksite makes GetWorksite answer worksite; other IDs are not found.
func (f *fixture) knowsWorksite() {
	f.store.GetWorksiteFn = func(_ context.Context, id string) (domain.Worksite, error) {
		if id != worksite.ID {
			return domain.Worksite{}, domain.Errorf(domain.ENOTFOUND, "no worksite %s", id)
		}
		return worksite, nil
	}
}

// administeredBy makes the worksite workflow answer a membership whose
// active administrator is subject, with status st.
func (f *fixture) administeredBy(subject string, st domain.WorksiteState) {
	f.answerQueries(workflows.WorksiteWorkflowID(worksite.ID), map[string]any{
		workflows.QueryMembership: domain.Membership{Members: []domain.Member{{Subject: subject, Name: "Admin", Admin: true, Active: true,
			UserType: domain.Authorizer}}},
		workflows.QueryStatus: domain.WorksiteStatus{WorksiteID: worksite.ID, State: st},
	})
	f.store.GetWorksiteStatusFn = func(_ context.Context, id string) (domain.WorksiteStatus, error) {
		if id != worksite.ID {
			return domain.WorksiteStatus{}, domain.Errorf(domain.ENOTFOUND, "no worksite with ID %s", id)
		}
		return domain.WorksiteStatus{WorksiteID: id, State: st}, nil
	}
}

// An edit checks that the enrolment has not ended against the projection:
// a status query would wait on a worker that is down before the write's
// own time budget even starts.
func TestEditWorksiteAsksTheProjectionWhetherItEnded(t *testing.T) {
	f := newFixture(t)
	f.knowsWorksite()
	f.administeredBy("ada", domain.WorksiteApproved)
	membership := f.wf.QueryFn
	f.wf.QueryFn = func(ctx context.Context, id, name string, out any) error {
		if name == workflows.QueryStatus {
			t.Errorf("the edit queried the workflow's status; want the projection read")
			return errDown
		}
		return membership(ctx, id, name, out)
	}
	f.answerWrites(domain.WorksiteStatus{State: domain.WorksiteApproved}, nil)
	if _, err := f.service().EditWorksite(context.Background(), ada, worksite.ID, body(enrolment.WorksiteEdit{Name: ptr("New")})); err != nil {
		t.Fatalf("edit: %v", err)
	}
}

func TestRegisterWorksiteRefusals(t *testing.T) {
	cases := []struct {
		name  string
		by    enrolment.Caller
		setup func(*fixture)
		code  string
	}{
		// Authorization comes first: nothing is read of the body.
		{"anonymous", anonymous, nil, domain.EUNAUTHORIZED},
		{"the team does not register worksites", tess, nil, domain.EFORBIDDEN},
		{"an applicant without an account", sam, func(f *fixture) { f.accounts(adaAccount) }, domain.EUNPROCESSABLE},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			if c.setup != nil {
				c.setup(f)
			}
			_, err := f.service().RegisterWorksite(context.Background(), c.by, noBody(t))
			wantCode(t, err, c.code)
		})
	}
}

func TestRegisterWorksite(t *testing.T) {
	ctx := context.Background()
	t.Run("a body that does not decode", func(t *testing.T) {
		f := newFixture(t)
		f.accounts(adaAccount)
		_, err := f.service().RegisterWorksite(ctx, ada, badBody)
		wantCode(t, err, domain.EINVALID)
	})
	t.Run("invalid: outside BC", func(t *testing.T) {
		f := newFixture(t)
		f.accounts(adaAccount)
		reg := registration()
		reg.Address.Province = "AB"
		_, err := f.service().RegisterWorksite(ctx, ada, body(reg))
		wantField(t, err, "address.province", "")
	})
	t.Run("the address is registered already: the workflow's write is refused", func(t *testing.T) {
		f := newFixture(t)
		f.accounts(adaAccount)
		f.answerWrites(nil, domain.Errorf(domain.ECONFLICT, "already exists"))
		_, err := f.service().RegisterWorksite(ctx, ada, body(registration()))
		wantCode(t, err, domain.ECONFLICT)
	})
	t.Run("not accepted in time: 503, nothing written by the API", func(t *testing.T) {
		f := newFixture(t)
		f.accounts(adaAccount)
		f.answerWrites(nil, domain.Unavailable())
		_, err := f.service().RegisterWorksite(ctx, ada, body(registration()))
		wantCode(t, err, domain.EUNAVAILABLE)
	})
	t.Run("accepted, not completed in time: 202 with the status URL", func(t *testing.T) {
		f := newFixture(t)
		f.accounts(adaAccount)
		f.answerWrites(nil, &domain.Accepted{Message: "accepted"})
		w, err := f.service().RegisterWorksite(ctx, ada, body(registration()))
		var acc *domain.Accepted
		if !errors.As(err, &acc) || acc.StatusURL != "/api/v1/worksites/"+w.ID || w.ID == "" {
			t.Fatalf("RegisterWorksite = %+v, %v; want Accepted with the new worksite's status URL", w, err)
		}
	})
	t.Run("registered: the registrant is the first administrator", func(t *testing.T) {
		f := newFixture(t)
		f.accounts(adaAccount)
		f.answerWrites(domain.WorksiteStatus{State: domain.WorksiteAwaitingDeclaration}, nil)
		w, err := f.service().RegisterWorksite(ctx, ada, body(registration()))
		wantCode(t, err, "")
		if len(f.writes) != 1 {
			t.Fatalf("writes %+v; want the register update", f.writes)
		}
		c := f.writes[0]
		if c.WorkflowID != "worksite/"+w.ID || c.WorkflowType != workflows.WorksiteWorkflowName || c.Name != workflows.UpdateRegister {
			t.Fatalf("write %+v; want update-with-start of the worksite's workflow", c)
		}
		if !c.NotAfter.Equal(now.Add(10 * time.Second)) {
			t.Errorf("NotAfter %v; want now + the write budget", c.NotAfter)
		}
		arg := c.Arg.(workflows.RegisterWorksite)
		stored, audit := arg.Write.Worksite.Registration, arg.Write.Worksite.Audit
		if arg.Write.Worksite.ID != w.ID || !arg.NotAfter.Equal(c.NotAfter) {
			t.Errorf("register %+v; want the minted ID and the NotAfter", arg)
		}
		if stored.Administrator.Subject != "ada" || stored.Administrator.Email != adaAccount.Email {
			t.Errorf("administrator %+v; want ada's account", stored.Administrator)
		}
		if audit.Actor != "ada" || audit.Action != "worksite registered" || audit.RequestID != "req-1" {
			t.Errorf("audit %+v; want ada's registration with the request ID", audit)
		}
		in := c.Input.(workflows.WorksiteInput)
		if in.WorksiteID != w.ID || in.Registrant.Subject != "ada" || in.TypePolicy.Type != domain.CommunityPrivatePractice || !in.RegisteredAt.Equal(now) {
			t.Errorf("input %+v; want ada, the type's policy, now", in)
		}
	})
}

func TestGetWorksite(t *testing.T) {
	ctx := context.Background()
	read := func(seq int) func(context.Context, string) (domain.WorksiteRead, error) {
		return func(_ context.Context, id string) (domain.WorksiteRead, error) {
			if id != worksite.ID {
				return domain.WorksiteRead{}, domain.Errorf(domain.ENOTFOUND, "not found")
			}
			r := domain.WorksiteRead{Worksite: worksite, Admins: []string{"ada"}, StatusSeq: seq}
			if seq > 0 {
				r.StatusJSON = json.RawMessage(`{"state":"approved","seq":3}`)
			}
			return r, nil
		}
	}
	refusals := []struct {
		name string
		by   enrolment.Caller
		id   string
		code string
	}{
		{"anonymous", anonymous, worksite.ID, domain.EUNAUTHORIZED},
		// A malformed ID is not looked up, and answers as a missing one.
		{"malformed ID", ada, "../etc", domain.ENOTFOUND},
		{"missing", ada, "ZZZZZZZ", domain.ENOTFOUND},
		// Someone else's worksite answers as a missing one.
		{"not an administrator", sam, worksite.ID, domain.ENOTFOUND},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.store.ReadWorksiteFn = read(3)
			_, err := f.service().GetWorksite(ctx, c.by, c.id)
			wantCode(t, err, c.code)
			if c.code == domain.ENOTFOUND && domain.ErrorMessage(err) != domain.NotFoundOrNotYours {
				t.Errorf("message %q; want %q", domain.ErrorMessage(err), domain.NotFoundOrNotYours)
			}
		})
	}
	t.Run("projected: the stored status, as stored", func(t *testing.T) {
		f := newFixture(t)
		f.store.ReadWorksiteFn = read(3)
		r, err := f.service().GetWorksite(ctx, tess, strings.ToLower(worksite.ID))
		wantCode(t, err, "")
		if string(r.StatusJSON) != `{"state":"approved","seq":3}` || r.Source != "projection" {
			t.Errorf("got %s from %s; want the projection", r.StatusJSON, r.Source)
		}
	})
	t.Run("not projected yet: the workflow answers", func(t *testing.T) {
		f := newFixture(t)
		f.store.ReadWorksiteFn = read(0)
		f.administeredBy("ada", domain.WorksiteAwaitingDeclaration)
		r, err := f.service().GetWorksite(ctx, ada, worksite.ID)
		wantCode(t, err, "")
		if r.StatusJSON != nil || r.Status.State != domain.WorksiteAwaitingDeclaration || r.Source != "workflow" {
			t.Errorf("got %+v; want the workflow's status", r)
		}
	})
	t.Run("not projected, workflow silent: the projection's row", func(t *testing.T) {
		f := newFixture(t)
		f.store.ReadWorksiteFn = read(0)
		f.wf.QueryFn = func(context.Context, string, string, any) error { return errDown }
		f.store.GetWorksiteStatusFn = func(context.Context, string) (domain.WorksiteStatus, error) {
			return domain.WorksiteStatus{State: domain.WorksiteAwaitingDeclaration}, nil
		}
		r, err := f.service().GetWorksite(ctx, ada, worksite.ID)
		wantCode(t, err, "")
		if r.Status.State != domain.WorksiteAwaitingDeclaration || r.Source != "projection" {
			t.Errorf("got %+v; want the stored row's status", r)
		}
	})
}

func TestListAndSearchWorksites(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	var filter domain.WorksiteFilter
	f.store.ListWorksitesFn = func(_ context.Context, wf domain.WorksiteFilter) ([]domain.WorksiteSummary, error) {
		filter = wf
		return []domain.WorksiteSummary{{ID: worksite.ID}}, nil
	}
	var limit int
	f.store.SearchWorksitesFn = func(_ context.Context, prefix string, n int) ([]domain.WorksiteHit, error) {
		limit = n
		return []domain.WorksiteHit{{ID: worksite.ID}}, nil
	}
	f.store.MemberWorksitesFn = func(_ context.Context, subject string) ([]domain.MemberWorksite, error) {
		return []domain.MemberWorksite{{WorksiteID: worksite.ID}}, nil
	}
	s := f.service()
	// The list is the team's.
	if _, err := s.ListWorksites(ctx, ada, "", ""); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("an applicant lists worksites: %v; want EFORBIDDEN", err)
	}
	if rows, err := s.ListWorksites(ctx, tess, "awaiting_review", "enrolment_team"); err != nil || len(rows) != 1 ||
		filter.State != "awaiting_review" || filter.WaitingOn != "enrolment_team" {
		t.Errorf("the team lists: %v, %v, filter %+v; want the row, filtered", rows, err, filter)
	}
	// Search: anyone signed in; the limit is a whole number, 10 by default.
	if _, err := s.SearchWorksites(ctx, anonymous, "370 broadway", ""); domain.ErrorCode(err) != domain.EUNAUTHORIZED {
		t.Errorf("anonymous search: %v; want EUNAUTHORIZED", err)
	}
	_, err := s.SearchWorksites(ctx, ada, "370 broadway", "ten")
	wantField(t, err, "limit", "whole number")
	if _, err := s.SearchWorksites(ctx, ada, "370 broadway", ""); err != nil || limit != 10 {
		t.Errorf("search: %v, limit %d; want 10", err, limit)
	}
	if _, err := s.SearchWorksites(ctx, sam, "370 broadway", "25"); err != nil || limit != 25 {
		t.Errorf("search: %v, limit %d; want 25", err, limit)
	}
	// One's own worksites: applicants only.
	if _, err := s.MyWorksites(ctx, tess); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("the team's own worksites: %v; want EFORBIDDEN", err)
	}
	if ws, err := s.MyWorksites(ctx, ada); err != nil || len(ws) != 1 {
		t.Errorf("ada's worksites: %v, %v; want one", ws, err)
	}
}

func TestDecideWorksite(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("x", domain.MaxReasonLength+1)
	cases := []struct {
		name    string
		by      enrolment.Caller
		id      string
		approve bool
		reason  string
		refuse  error // the workflow's answer to the update
		closed  domain.WorksiteState
		code    string
		field   string
	}{
		{"anonymous", anonymous, worksite.ID, true, "", nil, "", domain.EUNAUTHORIZED, ""},
		{"an applicant", ada, worksite.ID, true, "", nil, "", domain.EFORBIDDEN, ""},
		{"reject without a reason", tess, worksite.ID, false, "  ", nil, "", domain.EINVALID, "is required when rejecting"},
		{"a reason too long", tess, worksite.ID, true, long, nil, "", domain.EINVALID, "at most 1000"},
		{"unknown worksite", tess, "ZZZZZZZ", true, "", nil, "", domain.ENOTFOUND, ""},
		// The workflow's validator refuses: its code and words reach the caller.
		{"decided already (validator)", tess, worksite.ID, true, "", domain.Errorf(domain.ECONFLICT, "already decided"), "", domain.ECONFLICT, ""},
		// A finished workflow takes no update: judged against its final status.
		{"decided already (finished)", tess, worksite.ID, false, "no", errNoWorkflow, domain.WorksiteRejected, domain.ECONFLICT, ""},
		{"lapsed", tess, worksite.ID, true, "", errNoWorkflow, domain.WorksiteLapsed, domain.EUNPROCESSABLE, ""},
		{"approved", tess, worksite.ID, true, " complete ", nil, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.knowsWorksite()
			f.answerUpdates(domain.WorksiteStatus{State: domain.WorksiteApproved}, c.refuse)
			f.answerQueries(workflows.WorksiteWorkflowID(worksite.ID), map[string]any{workflows.QueryStatus: domain.WorksiteStatus{State: c.closed}})
			st, err := f.service().DecideWorksite(ctx, c.by, c.id, c.approve, body(enrolment.DecisionRequest{Reason: c.reason}))
			wantCode(t, err, c.code)
			if c.field != "" {
				wantField(t, err, "reason", c.field)
			}
			if c.code != "" {
				return
			}
			if st.State != domain.WorksiteApproved || len(f.updates) != 1 {
				t.Fatalf("status %s after %d updates; want approved after one", st.State, len(f.updates))
			}
			u := f.updates[0]
			d := u.Arg.(workflows.Decision)
			if u.ID != "worksite/"+worksite.ID || u.Name != workflows.UpdateDecide || u.UpdateID != "decide/tess/req-1" ||
				!d.Approve || d.Reason != "complete" || d.Actor != "tess" {
				t.Errorf("update %+v; want tess's approval with the trimmed reason", u)
			}
			wantBounded(t, u)
		})
	}
}

func TestEditWorksite(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		by    enrolment.Caller
		edit  enrolment.WorksiteEdit
		state domain.WorksiteState
		code  string
		field string
	}{
		{"anonymous", anonymous, enrolment.WorksiteEdit{Name: ptr("New")}, domain.WorksiteApproved, domain.EUNAUTHORIZED, ""},
		{"not an administrator", sam, enrolment.WorksiteEdit{Name: ptr("New")}, domain.WorksiteApproved, domain.ENOTFOUND, ""},
		{"the team does not edit details", tess, enrolment.WorksiteEdit{Name: ptr("New")}, domain.WorksiteApproved, domain.EFORBIDDEN, ""},
		{"nothing to change", ada, enrolment.WorksiteEdit{}, domain.WorksiteApproved, domain.EINVALID, ""},
		{"a bad phone", ada, enrolment.WorksiteEdit{Phone: ptr("555")}, domain.WorksiteApproved, domain.EINVALID, "phone"},
		{"an EMR off the list", ada, enrolment.WorksiteEdit{EMR: ptr("Notepad")}, domain.WorksiteApproved, domain.EINVALID, "emr"},
		{"a name with a line break", ada, enrolment.WorksiteEdit{Name: ptr("Clinic\nBcc: x")}, domain.WorksiteApproved, domain.EINVALID, "name"},
		// An ended enrolment changes no more: refused before anything is stored.
		{"closed", ada, enrolment.WorksiteEdit{Name: ptr("New")}, domain.WorksiteClosed, domain.EUNPROCESSABLE, ""},
		{"edited", ada, enrolment.WorksiteEdit{Name: ptr(" New Name "), Phone: ptr("604 555 0100")}, domain.WorksiteApproved, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.knowsWorksite()
			f.administeredBy("ada", c.state)
			f.answerUpdates(domain.WorksiteStatus{State: c.state}, nil)
			f.answerWrites(domain.WorksiteStatus{State: c.state}, nil)
			_, err := f.service().EditWorksite(ctx, c.by, worksite.ID, body(c.edit))
			wantCode(t, err, c.code)
			if c.field != "" {
				wantField(t, err, c.field, "")
			}
			if c.code != "" {
				return
			}
			if len(f.writes) != 1 || f.writes[0].Arg.(workflows.WorksiteChange).Change != "details edited: name, phone" {
				t.Fatalf("writes %+v; want the workflow to make the edit", f.writes)
			}
			w := f.writes[0].Arg.(workflows.WorksiteChange).Write.WorksiteDetails
			if *w.Details.Name != "New Name" || *w.Details.Phone != "(604) 555-0100" || w.Audit.Detail != "name, phone" {
				t.Errorf("write %+v; want the normalised name and phone", w)
			}
		})
	}
}

func TestWorksiteChanges(t *testing.T) {
	cases := []struct {
		name   string
		by     enrolment.Caller
		change func(*enrolment.Service, enrolment.Caller, enrolment.Input) (domain.WorksiteStatus, error)
		reason string
		refuse error
		code   string
		update string
	}{
		{"suspend: anonymous", anonymous, suspend(true), "fraud", nil, domain.EUNAUTHORIZED, ""},
		{"suspend: an administrator may not", ada, suspend(true), "fraud", nil, domain.EFORBIDDEN, ""},
		{"suspend: no reason", tess, suspend(true), "", nil, domain.EINVALID, ""},
		{"suspend: already suspended", tess, suspend(true), "fraud", domain.Errorf(domain.ECONFLICT, "already suspended"), domain.ECONFLICT, ""},
		{"suspended", tess, suspend(true), "fraud", nil, "", workflows.UpdateSuspend},
		{"reinstated", tess, suspend(false), "cleared", nil, "", workflows.UpdateReinstate},
		{"close: not an administrator", sam, closeWorksite, "", nil, domain.ENOTFOUND, ""},
		// Its administrator may close it without a reason; the team must say why.
		{"closed by its administrator", ada, closeWorksite, "", nil, "", workflows.UpdateClose},
		{"close: the team without a reason", tess, closeWorksite, " ", nil, domain.EINVALID, ""},
		{"closed by the team", tess, closeWorksite, "moved", nil, "", workflows.UpdateClose},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.knowsWorksite()
			f.administeredBy("ada", domain.WorksiteApproved)
			f.answerUpdates(domain.WorksiteStatus{State: domain.WorksiteApproved}, c.refuse)
			_, err := c.change(f.service(), c.by, body(enrolment.ReasonRequest{Reason: c.reason}))
			wantCode(t, err, c.code)
			if c.code != "" {
				return
			}
			if len(f.updates) != 1 || f.updates[0].Name != c.update {
				t.Fatalf("updates %+v; want %s", f.updates, c.update)
			}
			wc := f.updates[0].Arg.(workflows.WorksiteChange)
			if wc.Actor != c.by.Principal.Subject || wc.ActorRole != c.by.Principal.Role || wc.Reason != c.reason {
				t.Errorf("change %+v; want the caller's, with the reason", wc)
			}
			wantBounded(t, f.updates[0])
		})
	}
}

func suspend(on bool) func(*enrolment.Service, enrolment.Caller, enrolment.Input) (domain.WorksiteStatus, error) {
	return func(s *enrolment.Service, by enrolment.Caller, in enrolment.Input) (domain.WorksiteStatus, error) {
		return s.SuspendWorksite(context.Background(), by, worksite.ID, on, in)
	}
}

func closeWorksite(s *enrolment.Service, by enrolment.Caller, in enrolment.Input) (domain.WorksiteStatus, error) {
	return s.CloseWorksite(context.Background(), by, worksite.ID, in)
}

func TestClassifyWorksite(t *testing.T) {
	ctx := context.Background()
	careHome := domain.LongTermCareFacility
	cases := []struct {
		name   string
		by     enrolment.Caller
		req    enrolment.Classification
		state  domain.WorksiteState
		code   string
		fields []string
	}{
		{"an applicant", ada, enrolment.Classification{LocationType: &careHome, Reason: "r"}, domain.WorksiteApproved, domain.EFORBIDDEN, nil},
		// Every field problem at once: the reason, and nothing to change.
		{"no reason, no change", tess, enrolment.Classification{Reason: " "}, domain.WorksiteApproved, domain.EINVALID, []string{"reason", "locationType"}},
		{"an address outside BC", tess, enrolment.Classification{Address: &domain.Address{StreetNumber: "1", StreetName: "Main St",
			City: "Calgary", Province: "AB", PostalCode: "T2P 1J9"}, Reason: "moved"}, domain.WorksiteApproved, domain.EINVALID, []string{"address.province"}},
		{"lapsed", tess, enrolment.Classification{LocationType: &careHome, Reason: "r"}, domain.WorksiteLapsed, domain.EUNPROCESSABLE, nil},
		{"reclassified", tess, enrolment.Classification{LocationType: &careHome, Reason: "it is a care home"}, domain.WorksiteApproved, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.knowsWorksite()
			f.administeredBy("ada", c.state)
			f.answerUpdates(domain.WorksiteStatus{State: c.state}, nil)
			f.answerWrites(domain.WorksiteStatus{State: c.state}, nil)
			_, err := f.service().ClassifyWorksite(ctx, c.by, worksite.ID, body(c.req))
			wantCode(t, err, c.code)
			for _, field := range c.fields {
				wantField(t, err, field, "")
			}
			if c.code != "" {
				return
			}
			wc := f.writes[0].Arg.(workflows.WorksiteChange)
			if lt := wc.Write.Classification.LocationType; lt == nil || *lt != careHome {
				t.Errorf("written type %v; want %s", lt, careHome)
			}
			if wc.TypePolicy == nil || wc.TypePolicy.Type != careHome || !strings.HasPrefix(wc.Change, "type changed to") {
				t.Errorf("change %+v; want the new type's policy", wc)
			}
		})
	}
}

func TestPreviewWorksite(t *testing.T) {
	ctx := context.Background()
	states := map[string]domain.WorksiteState{worksite.ID: domain.WorksiteApproved}
	setup := func() *enrolment.Service {
		f := newFixture(t)
		f.knowsWorksite()
		f.store.GetWorksiteStatusFn = func(_ context.Context, id string) (domain.WorksiteStatus, error) {
			return domain.WorksiteStatus{WorksiteID: id, State: states[id]}, nil
		}
		return f.service()
	}
	// A person signed in sees the name and address, however the ID is typed.
	got, err := setup().PreviewWorksite(ctx, sam, " k4t6clp ")
	want := enrolment.WorksitePreview{ID: worksite.ID, Name: worksite.Name, AddressLine: worksite.Address.String()}
	if err != nil || got != want {
		t.Errorf("PreviewWorksite = %+v, %v; want %+v", got, err, want)
	}
	cases := []struct {
		name  string
		by    enrolment.Caller
		id    string
		state domain.WorksiteState
		code  string
		says  string // a phrase the message must carry
	}{
		{"anonymous", anonymous, worksite.ID, domain.WorksiteApproved, domain.EUNAUTHORIZED, ""},
		// An unknown ID says so plainly.
		{"unknown", sam, "ZZZZZZZ", "", domain.ENOTFOUND, "no worksite you can join has the ID ZZZZZZZ"},
		{"malformed", sam, "K4T", "", domain.ENOTFOUND, "7 letters and digits"},
		// A worksite that has ended cannot be joined, so it is not offered.
		{"lapsed", sam, worksite.ID, domain.WorksiteLapsed, domain.ENOTFOUND, "no worksite you can join"},
		{"closed", sam, worksite.ID, domain.WorksiteClosed, domain.ENOTFOUND, "no worksite you can join"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			states[worksite.ID] = c.state
			_, err := setup().PreviewWorksite(ctx, c.by, c.id)
			wantCode(t, err, c.code)
			if c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says)) {
				t.Errorf("error %v; want it to say %q", err, c.says)
			}
		})
	}
}

func TestWorksiteDeclaration(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.knowsWorksite()
	signed := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	f.store.GetDeclarationFn = func(_ context.Context, id string) (domain.Declaration, error) {
		return domain.Declaration{WorksiteID: id, SignerName: "Dana Lee", SignerTitle: "Office manager", Attestation: []string{"policies", "retired"},
			SignedAt: signed, ScreenshotType: "image/png", Screenshot: []byte("png")}, nil
	}
	s := f.service()
	if _, err := s.WorksiteDeclaration(ctx, ada, worksite.ID); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("an administrator: %v; want EFORBIDDEN (the team's)", err)
	}
	if _, err := s.WorksiteDeclaration(ctx, tess, "ZZZZZZZ"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("an unknown worksite: %v; want ENOTFOUND", err)
	}
	d, err := s.WorksiteDeclaration(ctx, tess, worksite.ID)
	if err != nil || d.SignerName != "Dana Lee" || d.SignerTitle != "Office manager" || !d.SignedAt.Equal(signed) || len(d.Attestations) != 2 {
		t.Fatalf("the team: %+v, %v; want the declaration", d, err)
	}
	// An attestation keeps its words; one no longer configured keeps its ID.
	if !strings.Contains(d.Attestations[0].Text, "Privacy and security policies") || d.Attestations[1] != (domain.Attestation{ID: "retired"}) {
		t.Errorf("attestations = %+v; want the configured words, and the ID alone for one no longer configured", d.Attestations)
	}
}
