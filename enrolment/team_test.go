package enrolment_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/workflows"
)

func TestApplicationQueue(t *testing.T) {
	ctx := context.Background()
	ready := now.AddDate(0, 0, -7)
	cases := []struct {
		name      string
		by        enrolment.Caller
		q         enrolment.QueueQuery
		code      string
		fields    []string
		worksites bool // the worksites awaiting approval are listed too
		escalated bool
	}{
		{"an applicant", ada, enrolment.QueueQuery{State: "ready_for_provisioning"}, domain.EFORBIDDEN, nil, false, false},
		// Every wrong filter named at once.
		{"wrong filters", tess, enrolment.QueueQuery{State: "", Profession: "wizard", WorksiteType: "castle", Overdue: "maybe"},
			domain.EINVALID, []string{"state", "profession", "worksiteType", "overdue"}, false, false},
		{"ready, overdue", tess, enrolment.QueueQuery{State: "ready_for_provisioning", Overdue: "true"}, "", nil, true, true},
		// Worksites have no profession: asking for one leaves only applications.
		{"by profession", tess, enrolment.QueueQuery{State: "waiting", Profession: domain.ProfPhysician}, "", nil, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			var af domain.ApplicationFilter
			f.store.PageApplicationsFn = func(_ context.Context, filter domain.ApplicationFilter) (domain.ApplicationPage, error) {
				af = filter
				return domain.ApplicationPage{Applications: []domain.QueuedApplication{{Subject: "bea", Application: json.RawMessage(`{}`),
					State: domain.AppReady, ReadySince: &ready}}, Total: 7, NextCursor: "next"}, nil
			}
			listed := false
			f.store.FindWorksitesFn = func(_ context.Context, lq domain.ListQuery, wf domain.WorksiteFilter) (domain.WorksitePage, error) {
				listed = wf.State == string(domain.WorksiteAwaitingReview) && wf.Escalated == c.escalated && lq.Limit == domain.DefaultPageSize
				return domain.WorksitePage{Worksites: []domain.WorksiteSummary{{ID: worksite.ID, WaitingSince: &ready}}, Total: 120, NextCursor: "wnext"}, nil
			}
			q, err := f.service().ApplicationQueue(ctx, c.by, c.q)
			wantCode(t, err, c.code)
			for _, field := range c.fields {
				wantField(t, err, field, "")
			}
			if c.code != "" {
				return
			}
			a := q.Applications[0]
			// Monday 23 February to Monday 2 March: five business days.
			if a.BusinessDaysWaiting != 5 || a.WorkflowID != workflows.UserWorkflowID("bea") || af.Escalated != c.escalated ||
				q.Total != 7 || q.NextCursor != "next" || af.Limit != domain.DefaultPageSize || len(af.Cursor.Keys) != 0 {
				t.Errorf("application %+v (filter %+v); want 5 business days and its workflow", a, af)
			}
			if listed != c.worksites || (c.worksites && (q.Worksites[0].BusinessDaysWaiting != 5 || q.Worksites[0].WorkflowID != "worksite/"+worksite.ID ||
				q.WorksitesTotal != 120 || q.WorksitesNextCursor != "wnext")) {
				t.Errorf("worksites %+v (listed %v); want listed %v", q.Worksites, listed, c.worksites)
			}
		})
	}
}

func TestTeamReads(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.knowsWorksite()
	f.store.FunnelFn = func(context.Context) ([]domain.FunnelCount, error) { return nil, nil }
	f.store.ListAuditFn = func(_ context.Context, subject string) ([]domain.AuditEvent, error) {
		return []domain.AuditEvent{{Subject: subject}}, nil
	}
	var prefix string
	f.store.ListEmailsFn = func(_ context.Context, p string) ([]domain.EmailRecord, error) { prefix = p; return nil, nil }
	s := f.service()
	for _, by := range []enrolment.Caller{anonymous, ada} {
		if _, err := s.Funnel(ctx, by); err == nil {
			t.Errorf("funnel for %+v; want a refusal", by.Principal)
		}
		if err := s.TeamReference(by); err == nil {
			t.Errorf("reference for %+v; want a refusal", by.Principal)
		}
		if _, err := s.WorksiteAudit(ctx, by, worksite.ID); err == nil {
			t.Errorf("audit for %+v; want a refusal", by.Principal)
		}
		if _, err := s.WorksiteEmails(ctx, by, worksite.ID); err == nil {
			t.Errorf("emails for %+v; want a refusal", by.Principal)
		}
	}
	if fn, err := s.Funnel(ctx, tess); err != nil || !fn.At.Equal(now) || len(fn.Steps) == 0 {
		t.Errorf("funnel: %+v, %v; want the steps at now", fn, err)
	}
	if err := s.TeamReference(tess); err != nil {
		t.Errorf("reference: %v", err)
	}
	if a, err := s.WorksiteAudit(ctx, tess, "k4t6clp"); err != nil || a.Subject != "worksite:"+worksite.ID || a.Events[0].Subject != a.Subject {
		t.Errorf("audit: %+v, %v; want the worksite's trail", a, err)
	}
	if _, err := s.WorksiteAudit(ctx, tess, "ZZZZZZZ"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("audit of an unknown worksite: %v; want ENOTFOUND", err)
	}
	if _, err := s.WorksiteEmails(ctx, tess, worksite.ID); err != nil || prefix != "worksite/"+worksite.ID+"/" {
		t.Errorf("emails: %v, prefix %q; want the worksite's", err, prefix)
	}
}

func TestStaffPerson(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.accounts(adaAccount)
	f.store.GetUserStatusFn = func(_ context.Context, subject string) (domain.UserStatus, error) {
		if subject == "nobody" {
			return domain.UserStatus{}, domain.Errorf(domain.ENOTFOUND, "not found")
		}
		return domain.UserStatus{Subject: subject, State: domain.UserAccountRegistered}, nil
	}
	f.answerQueries("none", nil)
	f.store.ListAuditFn = func(context.Context, string) ([]domain.AuditEvent, error) { return []domain.AuditEvent{{}}, nil }
	f.memberOf()
	f.pending()
	s := f.service()
	if _, err := s.StaffPerson(ctx, ada, "ada"); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("an applicant: %v; want EFORBIDDEN", err)
	}
	if _, err := s.StaffPerson(ctx, tess, "nobody"); domain.ErrorCode(err) != domain.ENOTFOUND ||
		domain.ErrorMessage(err) != "no person with that subject has signed in" {
		t.Errorf("nobody: %v; want ENOTFOUND naming it", err)
	}
	if p, err := s.StaffPerson(ctx, tess, "ada"); err != nil || p.Account == nil || len(p.Audit) != 1 || p.Status.State != domain.UserAccountRegistered {
		t.Errorf("ada: %+v, %v; want her status, account and audit", p, err)
	} else if p.Status.WaitingOn != domain.PartyApplicant {
		t.Errorf("ada, with no worksite: waiting on %q; want the applicant, as her own status says", p.Status.WaitingOn)
	}
	if p, err := s.StaffPerson(ctx, tess, "sam"); err != nil || p.Account != nil {
		t.Errorf("sam: %+v, %v; want no account", p, err)
	}
}

func TestChangeProfession(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name       string
		by         enrolment.Caller
		subject    string
		profession string
		reason     string
		code       string
	}{
		{"an applicant", ada, "ada", domain.ProfRegisteredNurse, "wrong", domain.EFORBIDDEN},
		{"no reason", tess, "ada", domain.ProfRegisteredNurse, " ", domain.EINVALID},
		{"no account", tess, "sam", domain.ProfRegisteredNurse, "wrong", domain.ENOTFOUND},
		{"the profession already", tess, "ada", domain.ProfPhysician, "wrong", domain.ECONFLICT},
		{"changed", tess, "ada", domain.ProfRegisteredNurse, " registered as a nurse ", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.accounts(adaAccount)
			f.answerWrites(domain.UserStatus{}, nil)
			ids := map[string]string{"cpsid": "12345", "msp_billing_number": "A1234"}
			if c.profession == domain.ProfRegisteredNurse {
				ids = map[string]string{"college_id": "R12345"}
			}
			_, err := f.service().ChangeProfession(ctx, c.by, c.subject, body(enrolment.ProfessionInput{Profession: c.profession,
				ProfessionIDs: ids, Reason: c.reason}))
			wantCode(t, err, c.code)
			if c.code != "" {
				return
			}
			pc := f.writes[0].Arg.(workflows.ProfessionChanged)
			audit := pc.Write.Profession.Audit
			if pc.Write.Profession.Profession != domain.ProfRegisteredNurse || pc.Write.Profession.ProfessionIDs["college_id"] != "R12345" {
				t.Errorf("write %+v; want the new profession and its IDs", pc.Write.Profession)
			}
			if pc.From != domain.ProfPhysician || pc.To != domain.ProfRegisteredNurse || pc.Actor != "tess" || pc.Reason != "registered as a nurse" ||
				audit.Detail != "physician -> registered_nurse: registered as a nurse" {
				t.Errorf("told %+v, audited %q; want tess's change with the reason", pc, audit.Detail)
			}
		})
	}
}

func TestSuspendPersonAndRevokeSessions(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		by     enrolment.Caller
		reason string
		refuse error
		code   string
		msg    string
	}{
		{"an applicant", ada, "fraud", nil, domain.EFORBIDDEN, ""},
		{"no reason", tess, "", nil, domain.EINVALID, ""},
		{"already suspended", tess, "fraud", domain.Errorf(domain.ECONFLICT, "already suspended"), domain.ECONFLICT, ""},
		{"nobody of that subject", tess, "fraud", errNoWorkflow, domain.ENOTFOUND, "no person with that subject has signed in"},
		{"suspended", tess, " fraud ", nil, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.answerUpdates(domain.UserStatus{}, c.refuse)
			_, err := f.service().SuspendPerson(ctx, c.by, "bea", true, body(enrolment.ReasonRequest{Reason: c.reason}))
			wantCode(t, err, c.code)
			if c.msg != "" && domain.ErrorMessage(err) != c.msg {
				t.Errorf("message %q; want %q", domain.ErrorMessage(err), c.msg)
			}
			if c.code != "" {
				return
			}
			if d := f.updates[0].Arg.(workflows.AccessDecision); f.updates[0].Name != workflows.UpdateSuspendAccess || d.Reason != "fraud" || d.Actor != "tess" {
				t.Errorf("sent %+v; want tess's suspension with the trimmed reason", f.updates[0])
			}
		})
	}
	t.Run("sessions", func(t *testing.T) {
		f := newFixture(t)
		var audit domain.AuditEvent
		f.store.RevokeSessionsFn = func(_ context.Context, subject string, a func(int64) domain.AuditEvent) (int64, error) {
			audit = a(2)
			return 2, nil
		}
		s := f.service()
		if _, err := s.RevokeSessions(ctx, ada, "bea", noBody(t)); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Errorf("an applicant: %v; want EFORBIDDEN", err)
		}
		_, err := s.RevokeSessions(ctx, tess, "bea", body(enrolment.ReasonRequest{}))
		wantField(t, err, "reason", "is required: say why")
		n, err := s.RevokeSessions(ctx, tess, "bea", body(enrolment.ReasonRequest{Reason: "lost laptop"}))
		if err != nil || n != 2 || audit.Subject != "person:bea" || audit.Actor != "tess" || audit.ActorName != "Tess" || audit.Detail != "2 sessions ended: lost laptop" {
			t.Errorf("revoked %d, %v, audit %+v; want both sessions, audited with who (by name), how many and why", n, err, audit)
		}
	})
}

// TestApplicationQueuePaging: the queue reads its cursor and page size
// with the team lists' rules, and the export walks every page.
func TestApplicationQueuePaging(t *testing.T) {
	ctx := context.Background()
	ready := now.AddDate(0, 0, -7)
	cursor := domain.Cursor{Keys: []string{ready.Format(time.RFC3339Nano), ready.Format(time.RFC3339Nano), "bea", "K4T6CLP"}}.String()
	for _, c := range []struct {
		name   string
		q      enrolment.QueueQuery
		fields []string
	}{
		{"not a cursor", enrolment.QueueQuery{State: "ready_for_provisioning", Cursor: "!!"}, []string{"cursor"}},
		// The people list's cursor has three keys, the queue's four.
		{"another list's cursor", enrolment.QueueQuery{State: "ready_for_provisioning",
			Cursor: domain.Cursor{Keys: []string{"a", "b", "c"}}.String()}, []string{"cursor"}},
		{"a page too big", enrolment.QueueQuery{State: "ready_for_provisioning", Limit: "501"}, []string{"limit"}},
		{"a page not a number", enrolment.QueueQuery{State: "ready_for_provisioning", Limit: "ten"}, []string{"limit"}},
		// The worksites awaiting approval page on their own.
		{"not a worksites cursor", enrolment.QueueQuery{State: "ready_for_provisioning", WorksitesCursor: cursor}, []string{"worksitesCursor"}},
		{"a worksites page too big", enrolment.QueueQuery{State: "ready_for_provisioning", WorksitesLimit: "501"}, []string{"worksitesLimit"}},
	} {
		f := newFixture(t)
		_, err := f.service().ApplicationQueue(ctx, tess, c.q)
		wantCode(t, err, domain.EINVALID)
		for _, field := range c.fields {
			wantField(t, err, field, "")
		}
	}
	f := newFixture(t)
	var seen []domain.ApplicationFilter
	f.store.PageApplicationsFn = func(_ context.Context, af domain.ApplicationFilter) (domain.ApplicationPage, error) {
		seen = append(seen, af)
		if len(af.Cursor.Keys) == 0 {
			return domain.ApplicationPage{Applications: []domain.QueuedApplication{{Subject: "ada"}}, Total: 2, NextCursor: cursor}, nil
		}
		return domain.ApplicationPage{Applications: []domain.QueuedApplication{{Subject: "bea", State: domain.AppReady, ReadySince: &ready}}, Total: 2}, nil
	}
	var wseen domain.ListQuery
	f.store.FindWorksitesFn = func(_ context.Context, lq domain.ListQuery, _ domain.WorksiteFilter) (domain.WorksitePage, error) {
		wseen = lq
		return domain.WorksitePage{}, nil
	}
	wcursor := domain.Cursor{Keys: []string{ready.Format(time.RFC3339Nano), "K4T6CLP"}}.String()
	if _, err := f.service().ApplicationQueue(ctx, tess, enrolment.QueueQuery{State: "ready_for_provisioning", Cursor: cursor, Limit: "10",
		WorksitesCursor: wcursor, WorksitesLimit: "20"}); err != nil {
		t.Fatal(err)
	}
	if got := seen[0]; got.Limit != 10 || got.Cursor.String() != cursor {
		t.Errorf("filter %+v; want the page of 10 from the cursor", got)
	}
	if wseen.Limit != 20 || wseen.Cursor.String() != wcursor || wseen.Text != "" {
		t.Errorf("worksites query %+v; want the page of 20 from its own cursor", wseen)
	}
	seen = nil
	if _, err := f.service().ExportApplications(ctx, ada, enrolment.QueueQuery{State: "ready_for_provisioning"}); err == nil {
		t.Error("an applicant exported the queue; want a refusal")
	}
	all, err := f.service().ExportApplications(ctx, tess, enrolment.QueueQuery{State: "ready_for_provisioning", Overdue: "true",
		Cursor: "ignored", Limit: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Subject != "ada" || all[1].Subject != "bea" || all[1].WorkflowID != workflows.UserWorkflowID("bea") ||
		all[1].BusinessDaysWaiting != 5 || len(seen) != 2 || seen[0].Limit != domain.MaxPageSize || !seen[0].Escalated ||
		seen[1].Cursor.String() != cursor {
		t.Errorf("export %+v over filters %+v; want both pages of 500, from the first", all, seen)
	}
	if _, err := f.service().ExportApplications(ctx, tess, enrolment.QueueQuery{State: "nope"}); err == nil {
		t.Error("export of a wrong state; want a field error")
	}
}
