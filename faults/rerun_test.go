package faults

import (
	"testing"
	"time"

	"careconnect/devidp"
	"careconnect/mail"
	"careconnect/store"
)

// TestEmailRerunAfterRecordedSuccess kills the worker right after its relay
// sent an email, twice, and starts it again each time:
//
//  1. after the outbox marked the email sent (the registration's): the new
//     worker never sends it again, however long it runs (well past the
//     lapsed claim's lease, when nothing but its sent mark keeps it from
//     being claimed again);
//  2. after the SMTP server accepted the email (the declaration's receipt)
//     but before the outbox marked it sent: the new worker sends it again
//     once the claim lapses, under the same Message-ID, the one duplicate
//     SMTP allows (docs/faults.md), and never a third time. The other
//     emails of the signing are marked sent before the kill, so the
//     receipt is the only one cut off.
//
// Each email keeps one email log record; every other email arrives once.
func TestEmailRerunAfterRecordedSuccess(t *testing.T) {
	need(t)
	t.Parallel()
	front := startMailFront(t)
	sys := startSystem(t, setup{SMTPPort: front.Port()})
	auth := sys.RegisterAccount(devidp.PersonaPhysician)
	admin := adminEmail(devidp.PersonaPhysician)
	sys.checkDeliveredOnce(front.Catcher, "user/") // the account's emails are out of the way

	// 1. Killed right after the mark landed.
	id := sys.register(auth, 1)
	regKey := key(id, mail.KindWorksiteRegistered, 1)
	sys.wait(30*time.Second, "the registration email to be logged as sent", func() (bool, string) {
		recs, err := sys.emailLog(regKey)
		if err != nil || len(recs) != 1 {
			return false, "not logged"
		}
		return recs[0].Status == store.EmailSent, recs[0].Status
	})
	sys.Worker.Kill()
	sys.Worker.Start()

	// 2. Killed after the server accepted the message, before the mark.
	held := front.HoldNext(admin, afterCommit)
	sys.sign(waitCaught(t, front.Catcher, regKey, time.Second))
	var h *hold
	select {
	case h = <-held:
	case <-time.After(60 * time.Second):
		t.Fatal("the declaration's receipt was never sent")
	}
	recvKey := key(id, mail.KindDeclarationReceived, 1)
	// The signing queued other emails beside the receipt (the team's notice),
	// and the relay sends them at the same time. Let those land and be
	// marked first, so that the kill cuts off the receipt alone: an email
	// accepted but not yet marked when the worker dies is sent again, and
	// this test counts that duplicate for the receipt only.
	sys.wait(30*time.Second, "the signing's other emails to be logged as sent", func() (bool, string) {
		recs, err := sys.emailLog("worksite/" + id + "/")
		if err != nil {
			return false, err.Error()
		}
		for _, r := range recs {
			if r.Key != recvKey && r.Status != store.EmailSent {
				return false, r.Key + " is " + r.Status
			}
		}
		return true, ""
	})
	sys.Worker.Kill()
	h.Release()
	if recs, err := sys.emailLog(recvKey); err != nil || len(recs) != 1 || recs[0].Status != store.EmailPending || recs[0].Attempts != 1 {
		t.Fatalf("email log of %s after the kill = %+v, %v; want one pending attempt", recvKey, recs, err)
	}
	if n, _ := front.Copies(recvKey); n != 1 {
		t.Fatalf("the receipt reached the catcher %d times when the worker died; want 1", n)
	}
	sys.Worker.Start()
	if rec := sys.waitEmailSent(recvKey, 90*time.Second); rec.Attempts != 2 {
		t.Errorf("the receipt was sent again on attempt %d; want 2", rec.Attempts)
	}

	// Long past every claim's lease and the relay's rounds: nothing more.
	time.Sleep(relayLease + 5*time.Second)
	if recs, _ := sys.emailLog(regKey); len(recs) != 1 || recs[0].Status != store.EmailSent || recs[0].Attempts != 1 {
		t.Errorf("email log of %s = %+v; want one record, sent on its one attempt", regKey, recs)
	}
	if n, ids := front.Copies(recvKey); n != 2 || len(ids) != 1 {
		t.Errorf("the receipt reached the catcher %d times under %d Message-IDs; want 2 under one", n, len(ids))
	}
	sys.checkDeliveredOnce(front.Catcher, "worksite/"+id+"/", recvKey)
	sys.checkDeliveredOnce(front.Catcher, "user/")
}
