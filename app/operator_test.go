package app_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"careconnect/app"
	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/enrolment"
)

// TestOperator runs the operators' use cases (the careconnect commands
// email resend, export and timeline) against a running system, through
// the same application layer as the API.
func TestOperator(t *testing.T) {
	env := apptest.Start(t, nil)
	env.SignIn(devidp.PersonaPhysician)
	admin := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	id := mustRegister(t, env, registration())
	waitMail(t, env, admin, id)

	ctx := context.Background()
	op, err := app.OpenOperator(ctx, env.Config, slog.New(slog.NewTextHandler(io.Discard, nil)), "tester")
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()

	ws, err := op.App.ListWorksites(ctx, op.Caller, "", "")
	if err != nil || len(ws) != 1 || ws[0].ID != id {
		t.Errorf("worksites export = %+v, %v; want worksite %s", ws, err, id)
	}
	events, err := op.App.AuditRange(ctx, op.Caller, time.Now().Add(-time.Hour), time.Now().Add(time.Minute))
	found := false
	for _, e := range events {
		found = found || e.WorksiteID == id
	}
	if err != nil || !found {
		t.Errorf("audit range = %+v, %v; want the registration of %s", events, err, id)
	}
	if _, err := op.App.AuditRange(ctx, op.Caller, time.Now(), time.Now().Add(-time.Hour)); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("reversed audit range: got %v; want EINVALID", err)
	}
	a, err := op.App.WorksiteAudit(ctx, op.Caller, id)
	if err != nil || len(a.Events) == 0 {
		t.Errorf("worksite timeline = %+v, %v; want its records", a, err)
	}

	// A sent email is not sent again; an unknown one is not found.
	key := "worksite/" + id + "/worksite_registered/1"
	if err := op.App.ResendEmail(ctx, op.Caller, key); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("resend a sent email: got %v; want ECONFLICT", err)
	}
	if err := op.App.ResendEmail(ctx, op.Caller, "worksite/NOPE/x/1"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("resend an unknown email: got %v; want ENOTFOUND", err)
	}
	if _, err := op.App.RedeliverLearningHub(ctx, op.Caller); err != nil {
		t.Errorf("redeliver: %v", err)
	}

	// Only the team operates.
	applicant := enrolment.Caller{Principal: &domain.Principal{Subject: "someone", Role: domain.RoleApplicant}}
	if err := op.App.ResendEmail(ctx, applicant, key); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("an applicant resends: got %v; want EFORBIDDEN", err)
	}
}
