package enrolment_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/enrolment/enrolmenttest"
	"careconnect/links"
	"careconnect/workflows"
)

// registrationOf is a valid account registration.
func registrationOf() domain.AccountRegistration {
	no := false
	return domain.AccountRegistration{Profession: domain.ProfPhysician, IsResident: &no,
		ProfessionIDs: map[string]string{"msp_billing_number": "A1234", "cpsid": "12345"}, Email: "dr.sharma@example.ca",
		Phone: "604 555 0100", HasHANetworkAccount: &no, Username: "psharma", Password: "Secret!42"}
}

// ensures makes the person's enrolment start: Ensure records the starts,
// and once one is sent the projection answers the status its first
// workflow task writes (before it, what the projection answered).
func (f *fixture) ensures() *[]sent {
	var out []sent
	f.wf.EnsureFn = func(_ context.Context, id, workflowType string, input any) error {
		out = append(out, sent{ID: id, Name: workflowType, Arg: input})
		return nil
	}
	before := f.store.UserStatusJSONFn
	f.store.UserStatusJSONFn = func(ctx context.Context, subject string) (json.RawMessage, int, error) {
		if len(out) == 0 {
			if before != nil {
				return before(ctx, subject)
			}
			return nil, 0, domain.Errorf(domain.ENOTFOUND, "no such person")
		}
		in := out[0].Arg.(workflows.UserInput)
		b, err := json.Marshal(domain.UserStatus{Subject: in.Subject, State: domain.UserIdentityValidated,
			LegalFirstName: in.Identity.LegalFirstName, LegalLastName: in.Identity.LegalLastName})
		return b, 1, err
	}
	return &out
}

func TestEnsurePerson(t *testing.T) {
	ctx := context.Background()
	t.Run("first sign-in: the workflow starts with the identity", func(t *testing.T) {
		f := newFixture(t)
		starts := f.ensures() // the store has no Fn that writes: nothing is stored before the workflow has it
		st, err := f.service().EnsurePerson(ctx, *ada.Principal)
		if err != nil || st.State != domain.UserIdentityValidated || st.LegalLastName != "Lovelace" {
			t.Fatalf("ensure: %+v, %v; want the projected identity", st, err)
		}
		if len(*starts) != 1 || (*starts)[0].ID != "user/ada" || (*starts)[0].Name != workflows.UserWorkflowName {
			t.Fatalf("started %+v; want ada's user workflow once", *starts)
		}
		in := (*starts)[0].Arg.(workflows.UserInput)
		if in.Subject != "ada" || in.Identity == nil || in.Identity.LegalFirstName != "Ada" || in.Identity.LegalLastName != "Lovelace" ||
			!in.Identity.At.Equal(now) {
			t.Errorf("input %+v; want ada's identity, validated now", in)
		}
	})
	t.Run("a later sign-in reads the projection and asks no workflow", func(t *testing.T) {
		f := newFixture(t)
		f.projectedStatus(domain.UserStatus{Subject: "ada", State: domain.UserAccountRegistered, LegalFirstName: "Ada", LegalLastName: "Lovelace"}, 7)
		st, err := f.service().EnsurePerson(ctx, *ada.Principal)
		if err != nil || st.State != domain.UserAccountRegistered {
			t.Errorf("ensure: %+v, %v; want the projected status", st, err)
		}
	})
	t.Run("a changed legal name is the identity-validated update", func(t *testing.T) {
		f := newFixture(t)
		f.projectedStatus(domain.UserStatus{Subject: "ada", State: domain.UserAccountRegistered, LegalFirstName: "Ada", LegalLastName: "Byron"}, 7)
		var updates []sent
		f.wf.UpdateFn = func(_ context.Context, id, updateID, name string, arg, out any) error {
			updates = append(updates, sent{ID: id, UpdateID: updateID, Name: name, Arg: arg})
			return enrolmenttest.Return(out, domain.UserStatus{Subject: "ada", State: domain.UserAccountRegistered, LegalLastName: "Lovelace"})
		}
		st, err := f.service().EnsurePerson(ctx, *ada.Principal)
		if err != nil || st.LegalLastName != "Lovelace" {
			t.Fatalf("ensure: %+v, %v; want the renamed status", st, err)
		}
		if len(updates) != 1 || updates[0].ID != "user/ada" || updates[0].Name != workflows.UpdateIdentityValidated ||
			updates[0].Arg.(workflows.IdentityValidated).LegalLastName != "Lovelace" {
			t.Errorf("updates %+v; want one identity-validated with the new name", updates)
		}
	})
	t.Run("the database down: the workflow is not asked", func(t *testing.T) {
		f := newFixture(t)
		f.store.UserStatusJSONFn = func(context.Context, string) (json.RawMessage, int, error) { return nil, 0, errDown }
		_, err := f.service().EnsurePerson(ctx, *ada.Principal)
		wantCode(t, err, domain.EUNAVAILABLE)
	})
	t.Run("Temporal down", func(t *testing.T) {
		f := newFixture(t)
		f.projectedStatus(domain.UserStatus{}, 0)
		f.wf.EnsureFn = func(context.Context, string, string, any) error { return errDown }
		_, err := f.service().EnsurePerson(ctx, *ada.Principal)
		wantCode(t, err, domain.EUNAVAILABLE)
	})
	t.Run("the worker down: no projection within the budget", func(t *testing.T) {
		f := newFixture(t)
		f.cfg.Temporal.WriteBudget = 100 * time.Millisecond
		f.projectedStatus(domain.UserStatus{}, 0)
		started := 0
		f.wf.EnsureFn = func(context.Context, string, string, any) error { started++; return nil }
		begin := time.Now()
		_, err := f.service().EnsurePerson(ctx, *ada.Principal)
		wantCode(t, err, domain.EUNAVAILABLE)
		if waited := time.Since(begin); started != 1 || waited < 100*time.Millisecond || waited > 5*time.Second {
			t.Errorf("started %d, waited %v; want one start and the budget's wait", started, waited)
		}
	})
}

func TestMeAndMyStatus(t *testing.T) {
	ctx := context.Background()
	t.Run("anonymous", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.service().Me(ctx, anonymous)
		wantCode(t, err, domain.EUNAUTHORIZED)
		_, err = f.service().MyStatus(ctx, anonymous)
		wantCode(t, err, domain.EUNAUTHORIZED)
	})
	t.Run("the team has no enrolment", func(t *testing.T) {
		f := newFixture(t)
		me, err := f.service().Me(ctx, tess)
		if err != nil || me.Status != nil || me.Account != nil {
			t.Errorf("me: %+v, %v; want nothing but who", me, err)
		}
		_, err = f.service().MyStatus(ctx, tess)
		wantCode(t, err, domain.EFORBIDDEN)
	})
	t.Run("projected: no update, the status as stored", func(t *testing.T) {
		f := newFixture(t)
		f.accounts(adaAccount)
		f.projectedStatus(domain.UserStatus{Subject: "ada", State: domain.UserAccountRegistered}, 5)
		f.memberOf(domain.MemberWorksite{WorksiteID: worksite.ID, Name: worksite.Name, Active: true, Admin: true, State: "approved"})
		me, err := f.service().Me(ctx, ada)
		if err != nil || me.Status.State != domain.UserAccountRegistered || me.Account.Username != adaAccount.Username {
			t.Errorf("me: %+v, %v; want the projected status and the account", me, err)
		}
		st, err := f.service().MyStatus(ctx, ada)
		if err != nil || st.Status.State != domain.UserAccountRegistered || len(st.Status.Worksites) != 1 {
			t.Errorf("status: %+v, %v; want the stored status with the worksite", st, err)
		}
	})
	t.Run("first call: the enrolment starts", func(t *testing.T) {
		f := newFixture(t)
		f.accounts()
		f.projectedStatus(domain.UserStatus{}, 0)
		f.answerQueries("none", nil)
		starts := f.ensures()
		me, err := f.service().Me(ctx, sam)
		if err != nil || me.Status.State != domain.UserIdentityValidated || me.Account != nil || len(*starts) != 1 {
			t.Errorf("me: %+v, %v after %d starts; want the enrolment started and no account", me, err, len(*starts))
		}
		st, err := f.service().MyStatus(ctx, sam)
		if err != nil || statusOf(t, st).State != domain.UserIdentityValidated {
			t.Errorf("status: %+v, %v; want the started enrolment's", st, err)
		}
	})
}

func TestRegisterAccount(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		by     enrolment.Caller
		reg    func() domain.AccountRegistration
		refuse error
		code   string
	}{
		{"anonymous", anonymous, registrationOf, nil, domain.EUNAUTHORIZED},
		{"the team", tess, registrationOf, nil, domain.EFORBIDDEN},
		{"a weak password", sam, func() domain.AccountRegistration { r := registrationOf(); r.Password = "weak"; return r }, nil, domain.EINVALID},
		// The workflow's write is refused: the update answers 409.
		{"the username is taken", sam, registrationOf, domain.Errorf(domain.ECONFLICT, "taken"), domain.ECONFLICT},
		// Not accepted by NotAfter: nothing happens, a retry is safe.
		{"the workflow is down", sam, registrationOf, domain.Unavailable(), domain.EUNAVAILABLE},
		{"registered", sam, registrationOf, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.ensures()
			// The enrolment runs already: its projected status is read, and
			// no start waits for a worker.
			f.store.UserStatusJSONFn = func(context.Context, string) (json.RawMessage, int, error) {
				b, err := json.Marshal(domain.UserStatus{State: domain.UserIdentityValidated})
				return b, 1, err
			}
			f.answerWrites(domain.UserStatus{State: domain.UserAccountRegistered}, c.refuse)
			in := body(c.reg())
			if c.code == domain.EUNAUTHORIZED || c.code == domain.EFORBIDDEN {
				in = noBody(t)
			}
			r, err := f.service().RegisterAccount(ctx, c.by, in)
			wantCode(t, err, c.code)
			if c.code != "" {
				return
			}
			a := f.writes[0].Arg.(workflows.AccountRegistered)
			w := a.Write.Account
			if r.Account.Username != "psharma" || w.PasswordHash != "hashed:Secret!42" || w.Registration.Password != "" ||
				a.EmailConfirmation == nil || a.EmailConfirmation.Link != w.EmailNonce || w.EmailNonce == "" ||
				r.Status.State != domain.UserAccountRegistered || !a.NotAfter.Equal(f.writes[0].NotAfter) {
				t.Errorf("registered %+v, told %+v; want the hashed password (never the password) and the first link", r, a)
			}
		})
	}
}

func TestUpdateAccount(t *testing.T) {
	ctx := context.Background()
	pending := adaAccount
	pending.PendingEmail = "ada@new.example.ca"
	accepted := &domain.Accepted{Message: "accepted"}
	cases := []struct {
		name    string
		by      enrolment.Caller
		change  enrolment.AccountChange
		answer  error // the write update's
		code    string
		accept  bool
		planned domain.EmailChange
		request bool // a link to confirm is sent
		status  bool // the enrolment's status is answered
	}{
		{"the team", tess, enrolment.AccountChange{Phone: ptr("604 555 0100")}, nil, domain.EFORBIDDEN, false, 0, false, false},
		{"nothing", ada, enrolment.AccountChange{}, nil, domain.EINVALID, false, 0, false, false},
		{"a bad email", ada, enrolment.AccountChange{Email: ptr("not an address")}, nil, domain.EINVALID, false, 0, false, false},
		{"no account", sam, enrolment.AccountChange{Phone: ptr("604 555 0100")}, nil, domain.ENOTFOUND, false, 0, false, false},
		{"a phone", ada, enrolment.AccountChange{Phone: ptr("604 555 0100")}, nil, "", false, domain.EmailUnchanged, false, false},
		{"a new email", ada, enrolment.AccountChange{Email: ptr("Ada@New.Example.CA")}, nil, "", false, domain.EmailPending, true, true},
		{"the account changed meanwhile (409)", ada, enrolment.AccountChange{Email: ptr("ada@new.example.ca")},
			domain.Errorf(domain.ECONFLICT, "your account changed meanwhile"), domain.ECONFLICT, false, domain.EmailPending, true, false},
		// Nothing stored, nothing sent: a retry is safe.
		{"the worker down (503)", ada, enrolment.AccountChange{Email: ptr("ada@new.example.ca")}, domain.Unavailable(),
			domain.EUNAVAILABLE, false, domain.EmailPending, true, false},
		{"accepted late (202)", ada, enrolment.AccountChange{Email: ptr("ada@new.example.ca")}, accepted, "", true,
			domain.EmailPending, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.accounts(adaAccount)
			f.answerWrites(domain.UserStatus{State: domain.UserAccountRegistered}, c.answer)
			r, err := f.service().UpdateAccount(ctx, c.by, body(c.change))
			if c.accept {
				var acc *domain.Accepted
				if !errors.As(err, &acc) || acc.StatusURL == "" {
					t.Fatalf("UpdateAccount = %v; want Accepted (202) with where to see it", err)
				}
			} else {
				wantCode(t, err, c.code)
			}
			if c.code == domain.EFORBIDDEN || c.code == domain.EINVALID || c.code == domain.ENOTFOUND {
				if len(f.writes) != 0 {
					t.Errorf("writes %+v; want none", f.writes)
				}
				return
			}
			if len(f.writes) != 1 || f.writes[0].Name != workflows.UpdateAccountChanged || f.writes[0].NotAfter.IsZero() {
				t.Fatalf("writes %+v; want one account-changed write with its NotAfter", f.writes)
			}
			arg := f.writes[0].Arg.(workflows.AccountChanged)
			w := arg.Write.AccountChange
			if w == nil || w.Change != c.planned || w.From != adaAccount.Email || w.Subject != "ada" || !arg.NotAfter.Equal(f.writes[0].NotAfter) {
				t.Fatalf("write %+v; want the change planned as %v against the account read", arg.Write, c.planned)
			}
			if c.change.Email != nil && *w.Update.Email != "ada@new.example.ca" {
				t.Errorf("email %q; want it lower-cased", *w.Update.Email)
			}
			if (arg.Request != nil) != c.request || (c.request && (arg.Request.Link != w.Nonce || w.Nonce == "" || arg.Request.Seq != 1 || !arg.Request.Change)) {
				t.Errorf("request %+v, nonce %q; want the first link of the new nonce: %v", arg.Request, w.Nonce, c.request)
			}
			if err == nil && (r.Status != nil) != c.status {
				t.Errorf("status %+v; want one: %v", r.Status, c.status)
			}
		})
	}
	t.Run("the change withdrawn", func(t *testing.T) {
		f := newFixture(t)
		f.accounts(pending)
		f.answerWrites(domain.UserStatus{State: domain.UserAccountRegistered}, nil)
		if _, err := f.service().UpdateAccount(ctx, ada, body(enrolment.AccountChange{Email: ptr(adaAccount.Email)})); err != nil {
			t.Fatal(err)
		}
		arg := f.writes[0].Arg.(workflows.AccountChanged)
		if w := arg.Write.AccountChange; !arg.Withdrawn || arg.Request != nil || w.Change != domain.EmailWithdrawn ||
			w.FromPending != pending.PendingEmail || w.Nonce != "" {
			t.Errorf("sent %+v, %+v; want the withdrawal planned against the pending address", arg, w)
		}
	})
}

func TestResetPassword(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		by       enrolment.Caller
		password string
		code     string
	}{
		{"anonymous", anonymous, "N3w-Passphrase", domain.EUNAUTHORIZED},
		{"weak", ada, "weakpass", domain.EINVALID},
		{"no account", sam, "N3w-Passphrase", domain.ENOTFOUND},
		{"reset", ada, "N3w-Passphrase", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.accounts(adaAccount)
			f.answerWrites(domain.UserStatus{State: domain.UserAccountRegistered}, nil)
			_, err := f.service().ResetPassword(ctx, c.by, body(enrolment.PasswordInput{Password: c.password}))
			wantCode(t, err, c.code)
			if c.code == domain.EINVALID {
				wantField(t, err, "password", "")
			}
			if c.code != "" {
				return
			}
			if len(f.writes) != 1 || f.writes[0].Name != workflows.UpdatePasswordChanged ||
				f.writes[0].Arg.(workflows.PasswordChanged).Write.Password.Hash != "hashed:N3w-Passphrase" {
				t.Errorf("writes %+v; want the new hash carried to the workflow with the password's life restarted", f.writes)
			}
		})
	}
}

func TestConfirmEmail(t *testing.T) {
	ctx := context.Background()
	link := func(f *fixture, subject string, ttl time.Duration) string {
		return f.signer.Sign(links.Claims{Purpose: links.PurposeEmailConfirmation, Subject: subject + "/n1", Expires: now.Add(ttl)})
	}
	awaiting := adaAccount
	awaiting.PendingEmail, awaiting.EmailLink = "ada@new.example.ca", "n1"
	confirmed := adaAccount
	confirmed.EmailConfirmedLink = "n1"
	ok := func(f *fixture) string { return link(f, "ada", time.Hour) }
	cases := []struct {
		name    string
		by      enrolment.Caller
		token   func(*fixture) string
		account domain.Account
		answer  error // the write update's
		code    string
		accept  bool
		write   bool
		outcome domain.EmailLinkOutcome
	}{
		{"anonymous", anonymous, ok, awaiting, nil, domain.EUNAUTHORIZED, false, false, ""},
		{"forged", ada, func(*fixture) string { return "forged" }, awaiting, nil, domain.ENOTFOUND, false, false, ""},
		{"expired", ada, func(f *fixture) string { return link(f, "ada", -time.Minute) }, awaiting, nil, domain.EUNPROCESSABLE, false, false, ""},
		// The link proves the mailbox, the session the account: another's link confirms nothing.
		{"another account's link", sam, ok, awaiting, nil, domain.EFORBIDDEN, false, false, ""},
		{"a replaced link", ada, ok, adaAccount, nil, domain.EUNPROCESSABLE, false, false, ""},
		// A replay changes nothing and sends nothing.
		{"used already", ada, ok, confirmed, nil, "", false, false, domain.EmailLinkAlreadyUsed},
		{"taken by another account first (409)", ada, ok, awaiting,
			domain.Errorf(domain.ECONFLICT, "another account confirmed it"), domain.ECONFLICT, false, true, ""},
		{"confirmed", ada, ok, awaiting, nil, "", false, true, domain.EmailLinkConfirms},
		{"the worker down (503)", ada, ok, awaiting, domain.Unavailable(), domain.EUNAVAILABLE, false, true, ""},
		{"accepted late (202)", ada, ok, awaiting, &domain.Accepted{Message: "accepted"}, "", true, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.accounts(c.account)
			delivered := 0
			f.store.PendingLearningHubEventsFn = func(context.Context, string, string) ([]domain.LearningHubEvent, error) {
				delivered++
				return nil, nil
			}
			f.answerWrites(domain.UserStatus{State: domain.UserAccountRegistered}, c.answer)
			r, err := f.service().ConfirmEmail(ctx, c.by, c.token(f))
			if c.accept {
				var acc *domain.Accepted
				if !errors.As(err, &acc) {
					t.Fatalf("ConfirmEmail = %v; want Accepted (202)", err)
				}
			} else {
				wantCode(t, err, c.code)
			}
			if (len(f.writes) == 1) != c.write || len(f.writes) > 1 {
				t.Fatalf("writes %+v; want one: %v", f.writes, c.write)
			}
			if c.write {
				arg := f.writes[0].Arg.(workflows.EmailConfirmationSettled)
				if f.writes[0].Name != workflows.UpdateEmailConfirmationSettled || !arg.Confirmed || arg.NotAfter.IsZero() ||
					arg.Write == nil || arg.Write.EmailConfirm == nil || arg.Write.EmailConfirm.Nonce != "n1" || arg.Write.EmailConfirm.Subject != "ada" {
					t.Errorf("sent %+v; want the link's confirmation carried to the workflow", arg)
				}
			}
			if err != nil {
				return
			}
			wantDelivered := 0
			if c.outcome == domain.EmailLinkConfirms {
				wantDelivered = 1
			}
			if r.Outcome != c.outcome || (r.Status != nil) != (c.outcome == domain.EmailLinkConfirms) || delivered != wantDelivered {
				t.Errorf("confirmed %+v, %d deliveries; want %s", r, delivered, c.outcome)
			}
		})
	}
}

func TestResendEmailConfirmation(t *testing.T) {
	ctx := context.Background()
	awaiting := adaAccount
	awaiting.PendingEmail, awaiting.EmailLink, awaiting.EmailLinksSent = "ada@new.example.ca", "n1", 1
	tooMany := awaiting
	tooMany.EmailLinksSent = domain.MaxEmailConfirmationLinks
	cases := []struct {
		name    string
		by      enrolment.Caller
		account domain.Account
		answer  error
		code    string
		accept  bool
	}{
		// UpdateOwnAccount asks for no account: the store finds none to send for.
		{"no account", sam, awaiting, nil, domain.ENOTFOUND, false},
		{"nothing awaits", ada, adaAccount, nil, domain.ECONFLICT, false},
		{"too many links", ada, tooMany, nil, domain.EUNPROCESSABLE, false},
		{"sent", ada, awaiting, nil, "", false},
		{"the address changed meanwhile (409)", ada, awaiting, domain.Errorf(domain.ECONFLICT, "changed meanwhile"), domain.ECONFLICT, false},
		{"the worker down (503)", ada, awaiting, domain.Unavailable(), domain.EUNAVAILABLE, false},
		{"accepted late (202)", ada, awaiting, &domain.Accepted{Message: "accepted"}, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.accounts(c.account)
			f.answerWrites(domain.UserStatus{}, c.answer)
			r, err := f.service().ResendEmailConfirmation(ctx, c.by)
			if c.accept {
				var acc *domain.Accepted
				if !errors.As(err, &acc) {
					t.Fatalf("ResendEmailConfirmation = %v; want Accepted (202)", err)
				}
			} else {
				wantCode(t, err, c.code)
			}
			if c.code == domain.ENOTFOUND || (c.code != "" && c.answer == nil) {
				if len(f.writes) != 0 {
					t.Errorf("writes %+v; want none", f.writes)
				}
				return
			}
			arg := f.writes[0].Arg.(workflows.AccountChanged)
			w := arg.Write.EmailLink
			if f.writes[0].Name != workflows.UpdateAccountChanged || w == nil || w.Nonce != "n1" || w.Seq != 2 || w.PrevSeq != 1 ||
				w.PrevNonce != "n1" || arg.Request == nil || arg.Request.Link != "n1" || arg.Request.Seq != 2 || !arg.Request.Change {
				t.Errorf("sent %+v (%+v); want the second link of the pending address counted and sent", arg, w)
			}
			if err == nil && r.SentTo != "ada@new.example.ca" {
				t.Errorf("sent to %q; want the pending address", r.SentTo)
			}
		})
	}
}

func TestEmailLinkPage(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pending := adaAccount
	pending.PendingEmail, pending.EmailLink, pending.EmailConfirmedLink = "ada@new.example.ca", "n2", "n1"
	f.accounts(pending)
	link := func(subject, nonce string) string {
		return f.signer.Sign(links.Claims{Purpose: links.PurposeEmailConfirmation, Subject: subject + "/" + nonce, Expires: now.Add(time.Hour)})
	}
	s := f.service()
	for _, c := range []struct {
		name  string
		token string
		code  string
		used  bool
	}{
		{"forged", "forged", domain.ENOTFOUND, false},
		{"no such account", link("nobody", "n1"), domain.ENOTFOUND, false},
		{"a replaced link", link("ada", "n0"), domain.EUNPROCESSABLE, false},
		{"used already", link("ada", "n1"), "", true},
		{"the awaited address's", link("ada", "n2"), "", false},
	} {
		v, err := s.EmailLinkPage(ctx, c.token)
		if domain.ErrorCode(err) != c.code || v.AlreadyUsed != c.used {
			t.Errorf("%s: %+v, %v; want code %q, used %v", c.name, v, err, c.code, c.used)
		}
		if c.code == "" && !c.used && (v.Address != domain.MaskEmail("ada@new.example.ca") || !v.Change || v.Username != adaAccount.Username) {
			t.Errorf("%s: %+v; want the masked pending address, as a change", c.name, v)
		}
	}
}

// TestUpdateAccountTellsWorksites: a change that gives the account another
// display name or another address in force asks the person's workflow to
// tell their worksites (AccountChanged.Profile); a phone, the same name
// again, or a new address that waits for confirmation does not.
func TestUpdateAccountTellsWorksites(t *testing.T) {
	ctx := context.Background()
	unconfirmed := adaAccount
	unconfirmed.EmailConfirmed = false
	for _, c := range []struct {
		name    string
		account domain.Account
		change  enrolment.AccountChange
		want    bool
	}{
		{"a phone", adaAccount, enrolment.AccountChange{Phone: ptr("604 555 0100")}, false},
		{"a preferred first name", adaAccount, enrolment.AccountChange{PreferredFirstName: ptr("Addie")}, true},
		{"the same name again", adaAccount, enrolment.AccountChange{PreferredFirstName: ptr("Ada")}, false},
		{"a new address awaiting confirmation", adaAccount, enrolment.AccountChange{Email: ptr("ada@new.example.ca")}, false},
		{"a new address replacing an unconfirmed one", unconfirmed, enrolment.AccountChange{Email: ptr("ada@new.example.ca")}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.accounts(c.account)
			f.answerWrites(domain.UserStatus{State: domain.UserAccountRegistered}, nil)
			if _, err := f.service().UpdateAccount(ctx, ada, body(c.change)); err != nil {
				t.Fatal(err)
			}
			if arg := f.writes[0].Arg.(workflows.AccountChanged); arg.Profile != c.want {
				t.Errorf("Profile = %v; want %v", arg.Profile, c.want)
			}
		})
	}
}
