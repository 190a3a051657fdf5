package faults

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/devtemporal"
	"careconnect/domain"
	"careconnect/mail"
)

// TestDeclarationWhileWorkerDown signs a worksite's declaration while the
// worker is down, then restarts Temporal before the worker returns (issue
// 13). The workflow owns the declaration's row, so the signer's answer is
// the truth: no worker accepted the update by its NotAfter, so it is 503
// and nothing is stored; once the worker is back, the late update (which
// Temporal kept across its restart) is refused by its validator and never
// applies, the worksite still takes the declaration, the signer's retry
// succeeds, and a second retry is 409 "already signed".
func TestDeclarationWhileWorkerDown(t *testing.T) {
	bin := need(t)
	t.Parallel()
	opts := devtemporal.Options{Binary: bin, Port: freePort(t), UIPort: -1,
		DBFile: filepath.Join(t.TempDir(), "temporal.db")}
	srv := startTemporal(t, opts)
	front := startMailFront(t)
	sys := startSystem(t, setup{Temporal: srv.Address(), SMTPPort: front.Port()})
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
