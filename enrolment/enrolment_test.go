package enrolment_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"careconnect/config"
	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/enrolment/enrolmenttest"
	"careconnect/learninghub"
	"careconnect/links"
	"careconnect/workflows"
)

// now is the fixtures' clock: Monday 2 March 2026, 09:00 Pacific.
var now = time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)

// The callers of the tests.
var (
	anonymous = enrolment.Caller{RequestID: "req-1"}
	// ada is an applicant (a physician) with an account.
	ada = enrolment.Caller{Principal: &domain.Principal{Subject: "ada", Role: domain.RoleApplicant, GivenName: "Ada",
		FamilyName: "Lovelace", Email: "ada@clinic.example.ca", IAL: 3}, RequestID: "req-1"}
	// sam is an applicant without an account.
	sam = enrolment.Caller{Principal: &domain.Principal{Subject: "sam", Role: domain.RoleApplicant, GivenName: "Sam",
		FamilyName: "Noaccount", IAL: 3}, RequestID: "req-1"}
	// tess is a member of the enrolment team.
	tess = enrolment.Caller{Principal: &domain.Principal{Subject: "tess", Role: domain.RoleTeam, GivenName: "Tess"}, RequestID: "req-1"}
)

// adaAccount is ada's account.
var adaAccount = domain.Account{Subject: "ada", Username: "alovelace", Profession: domain.ProfPhysician, Email: "ada@clinic.example.ca",
	EmailConfirmed: true, LegalFirstName: "Ada", LegalLastName: "Lovelace"}

// fixture is a Service on fakes: set the function fields a case expects
// to be called; any other call panics, failing the test.
type fixture struct {
	store  *enrolmenttest.Store
	wf     *enrolmenttest.Workflows
	signer *links.Signer
	hub    *learninghub.Keyring
	cfg    config.Config
	// updates and starts record what was sent to the workflows.
	updates []sent
	starts  []sent
	// writes records the write updates sent.
	writes []enrolment.WriteCall
}

// sent is one update or start the use case sent.
type sent struct {
	ID, UpdateID, Name string
	Arg                any
	// NotAfter is a write update's (sent with Workflows.Write).
	NotAfter time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	cfg := config.Default()
	signer, err := links.NewSigner(cfg.Links.Secret)
	if err != nil {
		t.Fatal(err)
	}
	hub, err := learninghub.NewKeyring(learninghub.DefaultKeyID, learninghub.Key{ID: learninghub.DefaultKeyID, Secret: cfg.LearningHub.Secret})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{store: &enrolmenttest.Store{}, wf: &enrolmenttest.Workflows{}, signer: signer, hub: hub, cfg: cfg}
}

// service is the Service on the fixture's fakes, as they are set now.
func (f *fixture) service() *enrolment.Service {
	return enrolment.New(enrolment.Deps{Config: f.cfg, Store: f.store, Workflows: f.wf, Links: f.signer, LearningHub: f.hub,
		Hasher: enrolmenttest.Hasher(func(pw string) (string, error) { return "hashed:" + pw, nil }),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: enrolmenttest.Clock(now)})
}

// accounts makes GetAccount answer from accts; others are not found.
func (f *fixture) accounts(accts ...domain.Account) {
	f.store.GetAccountFn = func(_ context.Context, subject string) (domain.Account, error) {
		for _, a := range accts {
			if a.Subject == subject {
				return a, nil
			}
		}
		return domain.Account{}, domain.Errorf(domain.ENOTFOUND, "no account")
	}
}

// wantBounded fails unless u was sent as a write update whose argument
// carries the same NotAfter, the request's write budget from now.
func wantBounded(t *testing.T, u sent) {
	t.Helper()
	b, ok := u.Arg.(workflows.Bounded)
	if !ok || !b.Deadline().Equal(now.UTC().Add(10*time.Second)) || !u.NotAfter.Equal(b.Deadline()) {
		t.Errorf("%s sent with NotAfter %v (argument %T bounded %v); want a write bounded by the write budget", u.Name, u.NotAfter, u.Arg, ok)
	}
}

// answerUpdates records every update and answers each with result (or
// refuses it with err); unless answerWrites was called first, write
// updates (Workflows.Write: the worksite's, which carry their NotAfter)
// are recorded and answered the same way.
func (f *fixture) answerUpdates(result any, err error) {
	f.wf.UpdateFn = func(_ context.Context, id, updateID, name string, arg, out any) error {
		f.updates = append(f.updates, sent{ID: id, UpdateID: updateID, Name: name, Arg: arg})
		if err != nil {
			return err
		}
		return enrolmenttest.Return(out, result)
	}
	if f.wf.WriteFn == nil {
		f.wf.WriteFn = func(_ context.Context, c enrolment.WriteCall) error {
			f.updates = append(f.updates, sent{ID: c.WorkflowID, UpdateID: c.UpdateID, Name: c.Name, Arg: c.Arg, NotAfter: c.NotAfter})
			if err != nil {
				return err
			}
			return enrolmenttest.Return(c.Out, result)
		}
	}
}

// answerStarts records every start, refusing each with err when set.
// answerWrites answers every write update with result (decoded into its
// Out) or err, and records it.
func (f *fixture) answerWrites(result any, err error) {
	f.wf.WriteFn = func(_ context.Context, c enrolment.WriteCall) error {
		f.writes = append(f.writes, c)
		if err != nil {
			return err
		}
		if result != nil && c.Out != nil {
			return enrolmenttest.Return(c.Out, result)
		}
		return nil
	}
}

func (f *fixture) answerStarts(err error) {
	f.wf.StartFn = func(_ context.Context, id, workflowType string, input any) error {
		f.starts = append(f.starts, sent{ID: id, Name: workflowType, Arg: input})
		return err
	}
}

// answerQueries answers queries of workflow id by name: answers[name] is
// the result; a workflow or query not there is ENOTFOUND (ErrNoWorkflow).
func (f *fixture) answerQueries(id string, answers map[string]any) {
	f.wf.QueryFn = func(_ context.Context, qid, name string, out any) error {
		if v, ok := answers[name]; ok && qid == id {
			return enrolmenttest.Return(out, v)
		}
		return errNoWorkflow
	}
}

// errNoWorkflow is the Workflows port's error for a workflow that does not run.
var errNoWorkflow = errors.Join(domain.Errorf(domain.ENOTFOUND, "no enrolment workflow found for this record"), enrolment.ErrNoWorkflow)

// errDown is a dependency that does not answer.
var errDown = domain.Errorf(domain.EUNAVAILABLE, "unavailable; try again shortly")

// body is an Input that reads v, as the HTTP layer would decode it from JSON.
func body(v any) enrolment.Input {
	return func(out any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, out)
	}
}

// badBody is an Input whose body does not decode.
var badBody enrolment.Input = func(any) error {
	return (domain.FieldErrors{"name": "must be a string"}).Err()
}

// noBody is an Input that must not be read: the use case refused first.
func noBody(t *testing.T) enrolment.Input {
	return func(any) error {
		t.Helper()
		t.Error("the input was read; want a refusal before it")
		return errors.New("read")
	}
}

// wantCode checks that err has code ("" for none).
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := domain.ErrorCode(err); got != code {
		t.Fatalf("err = %v (code %q); want code %q", err, got, code)
	}
}

// wantField checks that err is EINVALID naming field with a problem
// containing words.
func wantField(t *testing.T, err error, field, words string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.EINVALID || !strings.Contains(de.Fields[field], words) {
		t.Fatalf("err = %v; want EINVALID with %s %q", err, field, words)
	}
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
