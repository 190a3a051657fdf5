package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/devtemporal"
	"careconnect/domain"
	"careconnect/mail"
	"careconnect/testnet"
)

// ownedSystem starts what an owned-write test breaks: a Temporal dev
// server of the test's own (so that it can be stopped, frozen and
// restarted), a mail front, and the system on them. The test runs in
// parallel with the package's others.
func ownedSystem(t *testing.T) (*restartable, *mailFront, *system) {
	t.Helper()
	bin := need(t)
	t.Parallel()
	opts := devtemporal.Options{Binary: bin, Port: testnet.MustFreePort(t), UIPort: -1,
		DBFile: filepath.Join(t.TempDir(), "temporal.db")}
	srv := startTemporal(t, opts)
	front := startMailFront(t)
	return srv, front, startSystem(t, setup{Temporal: srv.Address(), SMTPPort: front.Port()})
}

// TestDeclarationWhileWorkerDown signs a worksite's declaration while the
// worker is down, then restarts Temporal before the worker returns (issue
// 13). The workflow owns the declaration's row, so the signer's answer is
// the truth: no worker accepted the update by its NotAfter, so it is 503
// and nothing is stored; once the worker is back, the late update (which
// Temporal kept across its restart) is refused by its validator and never
// applies, the worksite still takes the declaration, the signer's retry
// succeeds, and a second retry is 409 "already signed".
func TestDeclarationWhileWorkerDown(t *testing.T) {
	srv, front, sys := ownedSystem(t)
	auth := sys.RegisterAccount(devidp.PersonaPhysician)
	id := sys.register(auth, 1)
	reg := waitCaught(t, front.Catcher, key(id, mail.KindWorksiteRegistered, 1), 30*time.Second)
	sys.waitState(auth, id, domain.WorksiteAwaitingDeclaration, 10*time.Second)
	waitIdle(sys, id)

	sys.Worker.Kill()
	_, token := apptest.DeclarationLink(t, reg)
	began := time.Now()
	res := sys.PostDeclaration(token, apptest.ValidDeclaration(t))
	took := time.Since(began)
	t.Logf("signed with the worker down: %d after %s", res.Status, took)
	if res.Status != http.StatusServiceUnavailable || took > 20*time.Second {
		t.Fatalf("sign with the worker down: %d %s after %s; want 503 within the request (nothing accepted it)", res.Status, res.Body, took)
	}
	if _, err := sys.Main.Store.GetDeclaration(context.Background(), id); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("after the 503 the declaration is stored (%v); want nothing", err)
	}

	srv.Stop()
	srv.Start()
	sys.Worker.Start()
	sys.waitPolling()
	// The admitted update reaches the workflow now, past its NotAfter: refused.
	waitIdle(sys, id)
	if st, _ := sys.status(auth, id); st.State != domain.WorksiteAwaitingDeclaration {
		t.Fatalf("after the worker's return: %s; want still awaiting the declaration (the late update never applies)", st.State)
	}
	if _, err := sys.Main.Store.GetDeclaration(context.Background(), id); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("the late update stored the declaration (%v); want nothing", err)
	}

	// The signer's retry succeeds; another is answered 409.
	if res := sys.PostDeclaration(token, apptest.ValidDeclaration(t)); res.Status != http.StatusOK {
		t.Fatalf("retry: %d %s; want 200", res.Status, res.Body)
	}
	if _, err := sys.Main.Store.GetDeclaration(context.Background(), id); err != nil {
		t.Fatalf("after the retry: %v; want the declaration stored", err)
	}
	if res := sys.PostDeclaration(token, apptest.ValidDeclaration(t)); res.Status != http.StatusConflict {
		t.Errorf("second retry: %d %s; want 409 already signed", res.Status, res.Body)
	}
	sys.waitState(auth, id, domain.WorksiteAwaitingReview, 10*time.Second)
}

// TestRegistrationWhileTemporalFrozen registers a worksite while Temporal
// is frozen (SIGSTOP), and the client gives up and disconnects while the
// workflow's start hangs (issue 13). Then Temporal thaws. The API wrote
// nothing itself: either the registration completed (a worksite with its
// workflow), or nothing exists and the address can be registered; it is
// never a 409 for a worksite that does not exist.
func TestRegistrationWhileTemporalFrozen(t *testing.T) {
	srv, _, sys := ownedSystem(t)
	auth := sys.RegisterAccount(devidp.PersonaPhysician)

	if err := srv.srv.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			if err := srv.srv.Signal(syscall.SIGCONT); err != nil {
				t.Error(err)
			}
		}
	}
	defer thaw()
	body, err := json.Marshal(registration(1))
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, sys.Base+"/api/v1/worksites", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 3 * time.Second} // the client gives up while the start hangs
	if res, err := client.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("register with Temporal frozen: %d within 3 s; want the client to give up first", res.StatusCode)
	}
	time.Sleep(15 * time.Second) // past the write's NotAfter and its margin
	thaw()
	ctx := context.Background()
	// Whatever reached Temporal while it was frozen is settled once it has
	// run: wait for the worker to poll again.
	time.Sleep(10 * time.Second)

	n, err := sys.Main.Store.CountWorksites(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res := sys.PostJSON("/api/v1/worksites", registration(1), "Authorization", auth)
	t.Logf("after the thaw: %d worksites; registering the address again: %d", n, res.Status)
	switch {
	case n == 0 && res.Status == http.StatusCreated:
		// The registration never happened; the address is free.
	case n == 1 && res.Status == http.StatusConflict:
		// It completed: the worksite exists, with its workflow.
		hits, err := sys.Main.Store.ListWorksites(ctx, domain.WorksiteFilter{})
		if err != nil || len(hits) != 1 {
			t.Fatalf("worksites: %+v, %v; want the one", hits, err)
		}
		sys.waitState(auth, hits[0].ID, domain.WorksiteAwaitingDeclaration, 30*time.Second)
	default:
		t.Fatalf("%d worksites stored, and registering the address again answers %d %s; want 0 and 201, or 1 and 409",
			n, res.Status, res.Body)
	}
	if c, err := sys.Main.Store.CountWorksites(ctx); err != nil || c != 1 {
		t.Errorf("worksites at the end: %d, %v; want 1", c, err)
	}
}

// TestWritesWhileWorkerDown sends an account registration, a password
// reset, an administrator's edit, an email change, a first sign-in and the
// team's suspension of a worksite while the worker is down, restarts Temporal before the worker returns,
// and checks each answer was the truth (issue 13): 503, and nothing
// changed, even after the admitted updates reached the returned worker
// (their validators refuse them past NotAfter); each retry then succeeds.
// The sign-in is the one whose 503 leaves something behind: the person's
// enrolment, started with their identity, which runs once the worker
// returns (no session was made; the retry finds it).
func TestWritesWhileWorkerDown(t *testing.T) {
	srv, _, sys := ownedSystem(t)
	ctx := context.Background()
	authA := sys.RegisterAccount(devidp.PersonaPhysician)
	id := sys.register(authA, 1)
	sys.waitState(authA, id, domain.WorksiteAwaitingDeclaration, 10*time.Second)
	authB := sys.Bearer(devidp.PersonaPhysician2)
	if res := sys.Do(http.MethodGet, "/api/v1/me", "", nil, "Authorization", authB); res.Status != http.StatusOK {
		t.Fatalf("B's first sign-in: %d %s", res.Status, res.Body)
	}
	subjectA, subjectB := sys.Subject(devidp.PersonaPhysician), sys.Subject(devidp.PersonaPhysician2)
	waitIdle(sys, id)
	hashBefore, err := sys.Main.Store.PasswordHash(ctx, subjectA)
	if err != nil {
		t.Fatal(err)
	}
	acctBefore, err := sys.Main.Store.GetAccount(ctx, subjectA)
	if err != nil {
		t.Fatal(err)
	}
	const newEmail = "moved.physician@clinic.example.ca"

	sys.Worker.Kill()
	account := func() apptest.Response {
		return sys.PostJSON("/api/v1/me/account", apptest.AccountFor(devidp.PersonaPhysician2), "Authorization", authB)
	}
	password := func() apptest.Response {
		return sys.PostJSON("/api/v1/me/password", map[string]any{"password": "N3w-Passphrase!"}, "Authorization", authA)
	}
	edit := func() apptest.Response {
		b, err := json.Marshal(map[string]any{"name": "Renamed Clinic"})
		if err != nil {
			t.Fatal(err)
		}
		return sys.Do(http.MethodPatch, "/api/v1/worksites/"+id, "application/json", b, "Authorization", authA)
	}
	emailChange := func() apptest.Response {
		b, err := json.Marshal(map[string]any{"email": newEmail, "phone": "604 555 0199"})
		if err != nil {
			t.Fatal(err)
		}
		return sys.Do(http.MethodPatch, "/api/v1/me/account", "application/json", b, "Authorization", authA)
	}
	suspend := func() apptest.Response {
		return sys.PostJSON("/api/v1/staff/worksites/"+id+"/suspend", map[string]string{"reason": "audit finding"},
			"Authorization", sys.Bearer(devidp.PersonaTeam))
	}
	// C's first sign-in starts C's enrolment, whose first task (with the
	// worker down, none) would record the identity and make C's row.
	authC := sys.Bearer(devidp.PersonaMOA)
	subjectC := sys.Subject(devidp.PersonaMOA)
	signInC := func() apptest.Response { return sys.Do(http.MethodGet, "/api/v1/me", "", nil, "Authorization", authC) }
	writes := []struct {
		name string
		send func() apptest.Response
		ok   int
	}{{"account registration", account, http.StatusCreated}, {"password reset", password, http.StatusOK},
		{"administrator's edit", edit, http.StatusOK}, {"email change", emailChange, http.StatusOK},
		{"first sign-in", signInC, http.StatusOK}, {"team's suspension", suspend, http.StatusOK}}
	for _, w := range writes {
		began := time.Now()
		res := w.send()
		t.Logf("%s with the worker down: %d after %s", w.name, res.Status, time.Since(began))
		if res.Status != http.StatusServiceUnavailable {
			t.Fatalf("%s with the worker down: %d %s; want 503", w.name, res.Status, res.Body)
		}
	}

	if _, err := sys.Main.Store.GetUserStatus(ctx, subjectC); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("C's row with the worker down: %v; want none (the workflow makes it)", err)
	}

	srv.Stop()
	srv.Start()
	sys.Worker.Start()
	sys.waitPolling()
	waitIdle(sys, id)
	time.Sleep(3 * time.Second) // the person's workflows take their late updates too
	// C's enrolment was started, and runs once the worker returns: the
	// sign-in answered 503 (no session) and its retry finds it, started once.
	if st, err := sys.Main.Store.GetUserStatus(ctx, subjectC); err != nil || st.State != domain.UserIdentityValidated {
		t.Errorf("C's status after the worker returned: %+v, %v; want identity validated", st, err)
	}
	if _, err := sys.Main.Store.GetAccount(ctx, subjectB); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("B's account after the 503: %v; want none (the late update never applies)", err)
	}
	if h, err := sys.Main.Store.PasswordHash(ctx, subjectA); err != nil || h != hashBefore {
		t.Errorf("A's password after the 503: changed %v (%v); want unchanged", h != hashBefore, err)
	}
	if w, err := sys.Main.Store.GetWorksite(ctx, id); err != nil || w.Name == "Renamed Clinic" {
		t.Errorf("worksite after the 503: %q, %v; want its old name", w.Name, err)
	}
	if st, err := sys.Main.Store.GetWorksiteStatus(ctx, id); err != nil || st.Suspended {
		t.Errorf("worksite after the suspension's 503: suspended %v, %v; want not suspended", st.Suspended, err)
	}
	if a, err := sys.Main.Store.GetAccount(ctx, subjectA); err != nil || a.Email != acctBefore.Email ||
		a.PendingEmail != acctBefore.PendingEmail || a.Phone != acctBefore.Phone || a.EmailLink != acctBefore.EmailLink {
		t.Errorf("A's account after the 503: %+v, %v; want it unchanged", a, err)
	}

	for _, w := range writes {
		if res := w.send(); res.Status != w.ok {
			t.Errorf("%s retried: %d %s; want %d", w.name, res.Status, res.Body, w.ok)
		}
	}
	if _, err := sys.Main.Store.GetAccount(ctx, subjectB); err != nil {
		t.Errorf("B's account after the retry: %v", err)
	}
	if h, err := sys.Main.Store.PasswordHash(ctx, subjectA); err != nil || h == hashBefore {
		t.Errorf("A's password after the retry: unchanged, %v; want the new one", err)
	}
	if a, err := sys.Main.Store.GetAccount(ctx, subjectA); err != nil || a.AwaitingEmail() != newEmail || a.Phone == acctBefore.Phone {
		t.Errorf("A's account after the retry: %+v, %v; want %s awaiting confirmation and the new phone", a, err, newEmail)
	}
	if st, err := sys.Main.Store.GetUserStatus(ctx, subjectA); err != nil || st.EmailConfirmation == nil || !st.EmailConfirmation.Awaiting {
		t.Errorf("A's status after the retry: %+v, %v; want the new address awaiting confirmation", st.EmailConfirmation, err)
	}
	if w, err := sys.Main.Store.GetWorksite(ctx, id); err != nil || w.Name != "Renamed Clinic" {
		t.Errorf("worksite after the retry: %q, %v; want renamed", w.Name, err)
	}
	if st, err := sys.Main.Store.GetWorksiteStatus(ctx, id); err != nil || !st.Suspended {
		t.Errorf("worksite after the suspension's retry: suspended %v, %v; want suspended", st.Suspended, err)
	}
}
