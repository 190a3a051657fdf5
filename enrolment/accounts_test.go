package enrolment_test

import (
	"context"
	"encoding/json"
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

// ensures records the people recorded and the update-with-starts sent.
func (f *fixture) ensures() *[]sent {
	var out []sent
	f.store.EnsurePersonFn = func(context.Context, string, string, string) error { return nil }
	f.wf.UpdateWithStartFn = func(_ context.Context, id, workflowType string, input any, name string, arg, out2 any) error {
		out = append(out, sent{ID: id, Name: name, Arg: arg})
		return enrolmenttest.Return(out2, domain.UserStatus{Subject: "ada", State: domain.UserIdentityValidated})
	}
	return &out
}

func TestEnsurePerson(t *testing.T) {
	f := newFixture(t)
	var recorded []string
	starts := f.ensures()
	f.store.EnsurePersonFn = func(_ context.Context, subject, first, last string) error {
		recorded = append(recorded, subject+" "+first+" "+last)
		return nil
	}
	st, err := f.service().EnsurePerson(context.Background(), *ada.Principal)
	if err != nil || st.State != domain.UserIdentityValidated {
		t.Fatalf("ensure: %+v, %v", st, err)
	}
	if len(recorded) != 1 || recorded[0] != "ada Ada Lovelace" || len((*starts)) != 1 || (*starts)[0].ID != "user/ada" ||
		(*starts)[0].Name != workflows.UpdateIdentityValidated || (*starts)[0].Arg.(workflows.IdentityValidated).LegalLastName != "Lovelace" {
		t.Errorf("recorded %v, sent %+v; want ada and her identity", recorded, *starts)
	}
	// The database down: the workflow is not asked.
	f = newFixture(t)
	f.store.EnsurePersonFn = func(context.Context, string, string, string) error { return errDown }
	_, err = f.service().EnsurePerson(context.Background(), *ada.Principal)
	wantCode(t, err, domain.EUNAVAILABLE)
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
		if err != nil || st.JSON != nil || st.Status.State != domain.UserIdentityValidated {
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
			// no update-with-start waits for a worker.
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
	cases := []struct {
		name   string
		by     enrolment.Caller
		change enrolment.AccountChange
		effect domain.EmailChange
		refuse error
		code   string
		update string // the update sent; "" for none
		status bool   // the enrolment's status is answered
	}{
		{"the team", tess, enrolment.AccountChange{Phone: ptr("604 555 0100")}, domain.EmailUnchanged, nil, domain.EFORBIDDEN, "", false},
		{"nothing", ada, enrolment.AccountChange{}, domain.EmailUnchanged, nil, domain.EINVALID, "", false},
		{"a bad email", ada, enrolment.AccountChange{Email: ptr("not an address")}, domain.EmailUnchanged, nil, domain.EINVALID, "", false},
		{"a phone", ada, enrolment.AccountChange{Phone: ptr("604 555 0100")}, domain.EmailUnchanged, nil, "", "", false},
		{"a new email", ada, enrolment.AccountChange{Email: ptr("Ada@New.Example.CA")}, domain.EmailPending, nil, "",
			workflows.UpdateEmailConfirmationRequested, true},
		{"the change withdrawn", ada, enrolment.AccountChange{Email: ptr(adaAccount.Email)}, domain.EmailWithdrawn, nil, "",
			workflows.UpdateEmailConfirmationSettled, true},
		// Stored, and shown on the account; the link can be sent again later.
		{"a new email, the enrolment down", ada, enrolment.AccountChange{Email: ptr("ada@new.example.ca")}, domain.EmailPending, errDown, "",
			workflows.UpdateEmailConfirmationRequested, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			var stored domain.AccountUpdate
			f.store.UpdateAccountFn = func(_ context.Context, _ string, u domain.AccountUpdate, _ domain.AuditEvent) (domain.Account, domain.EmailChange, error) {
				stored = u
				return adaAccount, c.effect, nil
			}
			f.answerUpdates(domain.UserStatus{State: domain.UserAccountRegistered}, c.refuse)
			r, err := f.service().UpdateAccount(ctx, c.by, body(c.change))
			wantCode(t, err, c.code)
			if c.code != "" {
				return
			}
			if c.change.Email != nil && *stored.Email != "ada@new.example.ca" && *stored.Email != adaAccount.Email {
				t.Errorf("stored email %q; want it lower-cased", *stored.Email)
			}
			if got := ""; len(f.updates) > 0 {
				got = f.updates[0].Name
				if got != c.update {
					t.Errorf("update %s; want %q", got, c.update)
				}
			} else if c.update != "" {
				t.Errorf("no update; want %s", c.update)
			}
			if (r.Status != nil) != c.status {
				t.Errorf("status %+v; want one: %v", r.Status, c.status)
			}
		})
	}
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
	cases := []struct {
		name    string
		by      enrolment.Caller
		token   func(*fixture) string
		confirm error
		refuse  error
		code    string
		status  bool
	}{
		{"anonymous", anonymous, func(f *fixture) string { return link(f, "ada", time.Hour) }, nil, nil, domain.EUNAUTHORIZED, false},
		{"forged", ada, func(*fixture) string { return "forged" }, nil, nil, domain.ENOTFOUND, false},
		{"expired", ada, func(f *fixture) string { return link(f, "ada", -time.Minute) }, nil, nil, domain.EUNPROCESSABLE, false},
		// The link proves the mailbox, the session the account: another's link confirms nothing.
		{"another account's link", sam, func(f *fixture) string { return link(f, "ada", time.Hour) }, nil, nil, domain.EFORBIDDEN, false},
		{"taken by another account first", ada, func(f *fixture) string { return link(f, "ada", time.Hour) },
			domain.Errorf(domain.ECONFLICT, "another account confirmed it"), nil, domain.ECONFLICT, false},
		{"confirmed", ada, func(f *fixture) string { return link(f, "ada", time.Hour) }, nil, nil, "", true},
		// The enrolment knew already (a replay): confirmed all the same.
		{"the enrolment knew", ada, func(f *fixture) string { return link(f, "ada", time.Hour) }, nil,
			domain.Errorf(domain.ECONFLICT, "nothing awaits"), "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			var nonce string
			f.store.ConfirmEmailFn = func(_ context.Context, _, n string, _ time.Time, _ domain.AuditEvent) (domain.Account, domain.EmailLinkOutcome, error) {
				nonce = n
				return adaAccount, domain.EmailLinkConfirms, c.confirm
			}
			delivered := 0
			f.store.PendingLearningHubEventsFn = func(context.Context, string, string) ([]domain.LearningHubEvent, error) {
				delivered++
				return nil, nil
			}
			f.answerUpdates(domain.UserStatus{State: domain.UserAccountRegistered}, c.refuse)
			r, err := f.service().ConfirmEmail(ctx, c.by, c.token(f))
			wantCode(t, err, c.code)
			if c.code != "" {
				return
			}
			if nonce != "n1" || r.Outcome != domain.EmailLinkConfirms || (r.Status != nil) != c.status || delivered != 1 {
				t.Errorf("confirmed %+v with nonce %q, %d deliveries; want the link's nonce, status %v, waiting events delivered",
					r, nonce, delivered, c.status)
			}
		})
	}
}

func TestResendEmailConfirmation(t *testing.T) {
	ctx := context.Background()
	awaiting := adaAccount
	awaiting.PendingEmail = "ada@new.example.ca"
	cases := []struct {
		name string
		by   enrolment.Caller
		next error
		code string
	}{
		// UpdateOwnAccount asks for no account: the store finds none to send for.
		{"no account", sam, nil, domain.ENOTFOUND},
		{"nothing awaits", ada, domain.Errorf(domain.ECONFLICT, "already confirmed"), domain.ECONFLICT},
		{"too many links", ada, domain.Errorf(domain.EUNPROCESSABLE, "5 links sent"), domain.EUNPROCESSABLE},
		{"sent", ada, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.accounts(awaiting)
			f.store.NextEmailLinkFn = func(_ context.Context, subject string) (string, int, error) {
				if subject != "ada" {
					return "", 0, domain.Errorf(domain.ENOTFOUND, "no account")
				}
				return "n2", 2, c.next
			}
			f.answerUpdates(domain.UserStatus{}, nil)
			r, err := f.service().ResendEmailConfirmation(ctx, c.by)
			wantCode(t, err, c.code)
			if c.code != "" {
				return
			}
			req := f.updates[0].Arg.(workflows.EmailConfirmationRequest)
			if r.SentTo != "ada@new.example.ca" || req.Link != "n2" || req.Seq != 2 || !req.Change {
				t.Errorf("sent %+v as %+v; want the second link to the pending address", r, req)
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
