package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	"careconnect/config"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/mail"
	"careconnect/store"
)

// TestWorkerKilled kills the worker process with SIGKILL twice
// mid-enrolment and starts it again each time:
//
//  1. between sends: two worksites are registered, their registration
//     emails delivered by the worker's relay and logged as sent, and the
//     worker is killed before anything else is due (the first declaration
//     reminder); the reminders come due while no worker runs;
//  2. during an email send: the restarted worker's timers fire, the
//     reminders go into the outbox with their projection, and its relay
//     sends them; the SMTP server holds worksite A's before the message is
//     transferred (RCPT TO unanswered) and worksite B's after it has
//     accepted the message but before the worker has heard so; the worker
//     is killed there.
//
// A third worker's relay sends the two again once the killed relay's
// claims lapse (relay.lease, relayLease here), and both enrolments are
// then signed and approved. Every email reaches the catcher exactly once,
// except B's reminder: the server had taken it and the worker died before
// it could record that, so the retry sends it again under the same
// Message-ID (the limit of SMTP; see docs/faults.md). The email log holds
// one record per email, each sent.
func TestWorkerKilled(t *testing.T) {
	need(t)
	t.Parallel()
	const firstReminder = 12 * time.Second
	front := startMailFront(t)
	sys := startSystem(t, setup{SMTPPort: front.Port(), Schedule: func(s *config.Schedule) {
		s.DeclarationReminders = []time.Duration{firstReminder, time.Hour, 2 * time.Hour}
	}})
	authA := sys.RegisterAccount(devidp.PersonaPhysician)
	authB := sys.RegisterAccount(devidp.PersonaPhysician2)
	adminA, adminB := adminEmail(devidp.PersonaPhysician), adminEmail(devidp.PersonaPhysician2)
	registeredAt := time.Now()
	a := sys.register(authA, 1)
	b := sys.register(authB, 2)
	regA := waitCaught(t, front.Catcher, key(a, mail.KindWorksiteRegistered, 1), 30*time.Second)
	sys.waitEmailSent(key(a, mail.KindWorksiteRegistered, 1), 30*time.Second)
	sys.waitEmailSent(key(b, mail.KindWorksiteRegistered, 1), 30*time.Second)
	for _, who := range []string{adminA, adminB} { // the account emails went to the same addresses
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := front.Catcher.WaitFor(ctx, func(m mail.Caught) bool {
			return len(m.To) == 1 && m.To[0] == who && strings.Contains(m.EventKey, string(mail.KindAccountRegistered))
		})
		cancel()
		if err != nil {
			t.Fatalf("account email to %s: %v", who, err)
		}
	}

	// 1. Killed between sends: the registration's are done, the reminders
	// not yet due.
	waitIdle(sys, a)
	waitIdle(sys, b)
	sys.Worker.Kill()
	if time.Since(registeredAt) >= firstReminder {
		t.Fatalf("setup took %s: the reminders came due before the worker was killed", time.Since(registeredAt))
	}
	holdA := front.HoldNext(adminA, beforeData)
	holdB := front.HoldNext(adminB, afterCommit)
	time.Sleep(time.Until(registeredAt.Add(firstReminder + time.Second)))
	remA, remB := key(a, mail.KindDeclarationReminder, 1), key(b, mail.KindDeclarationReminder, 1)
	for _, k := range []string{remA, remB} {
		if n, _ := front.Copies(k); n != 0 {
			t.Fatalf("reminder %s sent with no worker running", k)
		}
	}
	sys.Worker.Start()

	// 2. Killed during the reminder sends.
	var hA, hB *hold
	for hA == nil || hB == nil {
		select {
		case hA = <-holdA:
		case hB = <-holdB:
		case <-time.After(90 * time.Second):
			t.Fatalf("the restarted worker did not send the reminders (held A: %v, B: %v)", hA != nil, hB != nil)
		}
	}
	sys.Worker.Kill()
	hA.Release()
	hB.Release()
	// Where the kills landed: A's reminder is claimed but never reached the
	// server; B's reached it but is not logged as sent.
	for _, k := range []string{remA, remB} {
		recs, err := sys.emailLog(k)
		if err != nil || len(recs) != 1 || recs[0].Status != store.EmailPending || recs[0].Attempts != 1 {
			t.Fatalf("email log of %s after the kill = %+v, %v; want one pending attempt", k, recs, err)
		}
	}
	if n, _ := front.Copies(remA); n != 0 {
		t.Fatalf("A's reminder reached the catcher %d times before it was transferred", n)
	}
	if n, _ := front.Copies(remB); n != 1 {
		t.Fatalf("B's reminder reached the catcher %d times when the worker died; want 1", n)
	}

	// A new worker's relay retries the sends once the killed relay's claims lapse.
	sys.Worker.Start()
	sys.waitEmailSent(remA, 90*time.Second)
	sys.waitEmailSent(remB, 90*time.Second)

	// Both enrolments complete.
	sys.sign(regA)
	sys.sign(waitCaught(t, front.Catcher, key(b, mail.KindWorksiteRegistered, 1), time.Second))
	sys.waitState(authA, a, domain.WorksiteAwaitingReview, 30*time.Second)
	sys.waitState(authB, b, domain.WorksiteAwaitingReview, 30*time.Second)
	sys.approve(a)
	sys.approve(b)
	sys.waitState(authA, a, domain.WorksiteApproved, 30*time.Second)
	sys.waitState(authB, b, domain.WorksiteApproved, 30*time.Second)
	sys.waitEmailSent(key(a, mail.KindWorksiteApproved, 1), 30*time.Second)
	sys.waitEmailSent(key(b, mail.KindWorksiteApproved, 1), 30*time.Second)

	sys.checkDeliveredOnce(front.Catcher, "worksite/"+a+"/")
	sys.checkDeliveredOnce(front.Catcher, "worksite/"+b+"/", remB)
	sys.checkDeliveredOnce(front.Catcher, "user/")
	for _, k := range []string{remA, remB} {
		recs, _ := sys.emailLog(k)
		if len(recs) != 1 || recs[0].Attempts != 2 {
			t.Errorf("email log of %s = %+v; want one record, sent on the second attempt", k, recs)
		}
	}
}
