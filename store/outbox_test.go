package store_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/store/storetest"
)

// outboxEmail is a worksite email queued under key.
func outboxEmail(key string) domain.Email {
	return domain.Email{Worksite: &domain.WorksiteEmail{Key: key, Kind: domain.MailDeclarationReminder, WorksiteID: "K4T6CLP",
		To: domain.ToSiteAdmins, Seq: 1}}
}

// mustClaimEmails claims at now and returns the claimed keys and attempts.
func mustClaimEmails(t *testing.T, s *store.Store, now time.Time, limit int) map[string]int {
	t.Helper()
	got, err := s.ClaimEmails(context.Background(), now, limit, time.Minute)
	if err != nil {
		t.Fatalf("ClaimEmails: %v", err)
	}
	out := map[string]int{}
	for _, e := range got {
		out[e.Email.Key()] = e.Attempt
	}
	return out
}

// The projection write stores its emails in the outbox once per key, in
// its own transaction: a retried write adds nothing, a failed one nothing
// at all. A claim takes a due pending email for one attempt and keeps it
// from other claims for the lease; a failed attempt is retried when its
// back-off says; a sent email is never claimed again, whatever its next
// attempt time says.
func TestOutboxEmails(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := mustCreate(t, s, registration("101"))
		a, b := "worksite/"+w.ID+"/declaration_reminder/1", "worksite/"+w.ID+"/declaration_reminder/2"
		p := domain.Projection{Worksite: &domain.WorksiteStatus{WorksiteID: w.ID, State: domain.WorksiteAwaitingDeclaration, Seq: 2},
			Emails: []domain.Email{outboxEmail(a), outboxEmail(b)}}
		for i := 0; i < 2; i++ {
			if err := s.SaveProjection(ctx, p); err != nil {
				t.Fatalf("SaveProjection (try %d): %v", i+1, err)
			}
		}
		// A write that fails (a subject listed twice) stores no email.
		ada := domain.Member{Subject: "sub-ada", Name: "Ada", Email: "ada@example.ca", Admin: true, Active: true, Since: time.Now()}
		bad := domain.Projection{Membership: &domain.MembershipProjection{WorksiteID: w.ID, Seq: 9,
			Membership: domain.Membership{Members: []domain.Member{ada, ada}}}, Emails: []domain.Email{outboxEmail("worksite/" + w.ID + "/never/1")}}
		if err := s.SaveProjection(ctx, bad); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("SaveProjection (subject twice) = %v; want ECONFLICT", err)
		}
		recs, err := s.ListEmails(ctx, "worksite/"+w.ID+"/")
		if err != nil || len(recs) != 2 {
			t.Fatalf("email log = %+v, %v; want the two queued emails, once each", recs, err)
		}
		for _, r := range recs {
			if r.Status != store.EmailPending || r.Attempts != 0 || len(r.Recipients) != 0 || r.Kind != string(domain.MailDeclarationReminder) {
				t.Errorf("queued email = %+v; want pending, no attempt, no recipients yet", r)
			}
		}

		now := time.Now().UTC()
		if got := mustClaimEmails(t, s, now, 1); len(got) != 1 {
			t.Fatalf("claim with limit 1 = %v; want one email", got)
		}
		got := mustClaimEmails(t, s, now, 10)
		if len(got) != 1 {
			t.Fatalf("second claim = %v; want the other email only (the first is leased)", got)
		}
		if got := mustClaimEmails(t, s, now.Add(30*time.Second), 10); len(got) != 0 {
			t.Fatalf("claim within the lease = %v; want none", got)
		}
		claimed, err := s.ClaimEmails(ctx, now.Add(2*time.Minute), 10, time.Minute)
		if err != nil || len(claimed) != 2 {
			t.Fatalf("claim after the lease = %+v, %v; want both again", claimed, err)
		}
		for _, c := range claimed {
			if c.Attempt != 2 || c.QueuedAt.IsZero() || c.Email.Worksite == nil || c.Email.Worksite.WorksiteID != "K4T6CLP" {
				t.Errorf("claimed %+v; want attempt 2 with the queued email and its time", c)
			}
		}
		// a is sent; b fails and is retried later.
		if err := s.FinishEmail(ctx, a, 2, store.Outcome{Status: store.EmailSent, To: []string{"ada@example.ca"}, Subject: "Reminder"}); err != nil {
			t.Fatal(err)
		}
		retry := now.Add(10 * time.Minute)
		if err := s.FinishEmail(ctx, b, 2, store.Outcome{Status: store.EmailPending, RetryAt: retry, Error: "421 try later"}); err != nil {
			t.Fatal(err)
		}
		// A stale report from the first claim changes nothing.
		if err := s.FinishEmail(ctx, b, 1, store.Outcome{Status: store.EmailFailed, Error: "stale"}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishEmail(ctx, a, 1, store.Outcome{Status: store.EmailPending, RetryAt: now, Error: "late"}); err != nil {
			t.Fatal(err)
		}
		if got := mustClaimEmails(t, s, now.Add(5*time.Minute), 10); len(got) != 0 {
			t.Fatalf("claim before the retry = %v; want none (a is sent, b waits)", got)
		}
		// Long after: b is due, a is never claimed again.
		if got := mustClaimEmails(t, s, now.Add(48*time.Hour), 10); len(got) != 1 || got[b] != 3 {
			t.Fatalf("claim after the retry time = %v; want b's third attempt only", got)
		}
		audit := domain.AuditEvent{Key: "email-failed/" + b, Actor: "system", Role: "system", WorksiteID: w.ID,
			Subject: "worksite:" + w.ID, Action: "email not delivered", Detail: "declaration_reminder: 550 no such user"}
		if err := s.FinishEmail(ctx, b, 3, store.Outcome{Status: store.EmailFailed, Error: "550 no such user", Audit: &audit}); err != nil {
			t.Fatal(err)
		}
		if got := mustClaimEmails(t, s, now.Add(30*24*time.Hour), 10); len(got) != 0 {
			t.Fatalf("claim after the end = %v; want none", got)
		}
		recs, _ = s.ListEmails(ctx, "worksite/"+w.ID+"/")
		byKey := map[string]store.EmailRecord{}
		for _, r := range recs {
			byKey[r.Key] = r
		}
		if r := byKey[a]; r.Status != store.EmailSent || r.Attempts != 2 || r.SentAt == nil || len(r.Recipients) != 1 || r.Subject != "Reminder" {
			t.Errorf("a = %+v; want sent on attempt 2 to its recipient", r)
		}
		if r := byKey[b]; r.Status != store.EmailFailed || r.Attempts != 3 || r.LastError != "550 no such user" || r.SentAt != nil {
			t.Errorf("b = %+v; want failed after 3 attempts with its last error", r)
		}
		if n := countAudits(t, s, "worksite:"+w.ID, "email not delivered"); n != 1 {
			t.Errorf("email-failure audits = %d; want 1", n)
		}
	})
}

// Relays in several worker replicas claim at the same moment: each pending
// email goes to one of them (PostgreSQL's SKIP LOCKED; SQLite is one process).
func TestOutboxConcurrentClaims(t *testing.T) {
	s := storetest.New(t, store.Postgres)
	ctx := context.Background()
	w := mustCreate(t, s, registration("101"))
	var emails []domain.Email
	for i := 0; i < 40; i++ {
		emails = append(emails, outboxEmail("worksite/"+w.ID+"/declaration_reminder/"+string(rune('A'+i))))
	}
	if err := s.SaveProjection(ctx, domain.Projection{Emails: emails}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var claimed []string
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimEmails(ctx, now, 3, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, e := range got {
					claimed = append(claimed, e.Email.Key())
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Strings(claimed)
	if len(claimed) != 40 {
		t.Fatalf("claimed %d emails; want each of the 40 once", len(claimed))
	}
	for i := 1; i < len(claimed); i++ {
		if claimed[i] == claimed[i-1] {
			t.Errorf("%s claimed twice", claimed[i])
		}
	}
}

// Member notices go into the outbox with the projection and are claimed
// in the order the worksite queued them.
func TestOutboxNotices(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := mustCreate(t, s, registration("101"))
		notice := func(seq int, change string) domain.MembershipNotice {
			return domain.MembershipNotice{Key: "worksite/" + w.ID + "/notice/" + string(rune('0'+seq)) + "/sub-ada", Seq: seq,
				Subject: "sub-ada", WorksiteID: w.ID, Change: change, Active: true}
		}
		p := domain.Projection{Notices: []domain.MembershipNotice{notice(2, "worksite suspended"), notice(1, "worksite approved")}}
		for i := 0; i < 2; i++ {
			if err := s.SaveProjection(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ClaimNotices(ctx, time.Now(), 10, time.Minute)
		if err != nil || len(got) != 2 || got[0].Notice.Seq != 1 || got[1].Notice.Seq != 2 || got[0].Attempt != 1 {
			t.Fatalf("ClaimNotices = %+v, %v; want both, in their order, first attempts", got, err)
		}
		if got[0].Notice.Change != "worksite approved" || got[0].Notice.Subject != "sub-ada" {
			t.Errorf("claimed notice = %+v; want the one queued", got[0].Notice)
		}
		if err := s.FinishNotice(ctx, got[0].Notice.Key, 1, store.Outcome{Status: store.EmailSent}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishNotice(ctx, got[1].Notice.Key, 1, store.Outcome{Status: store.EmailPending, RetryAt: time.Now().Add(time.Hour), Error: "unavailable"}); err != nil {
			t.Fatal(err)
		}
		if again, _ := s.ClaimNotices(ctx, time.Now().Add(2*time.Minute), 10, time.Minute); len(again) != 0 {
			t.Errorf("claim before the retry = %+v; want none", again)
		}
		recs, err := s.ListNotices(ctx, "worksite/"+w.ID+"/")
		if err != nil || len(recs) != 2 || recs[0].Status != store.EmailSent || recs[1].Status != store.EmailPending || recs[1].LastError != "unavailable" {
			t.Errorf("notices = %+v, %v; want the first sent, the second pending with its error", recs, err)
		}
	})
}

// A member profile notice is stored and claimed with the member notices,
// as its own kind, once per key.
func TestOutboxProfileNotices(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		n := domain.MemberProfileNotice{Key: "user/sub-ada/profile/1", Seq: 1, Subject: "sub-ada", Profession: domain.ProfPhysician,
			UserType: domain.Authorizer, Change: "profession corrected"}
		for i := 0; i < 2; i++ {
			if err := s.SaveProjection(ctx, domain.Projection{ProfileNotices: []domain.MemberProfileNotice{n}}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ClaimNotices(ctx, time.Now(), 10, time.Minute)
		if err != nil || len(got) != 1 || got[0].Profile == nil || got[0].Key() != n.Key {
			t.Fatalf("ClaimNotices = %+v, %v; want the profile notice once", got, err)
		}
		if p := got[0].Profile; p.Profession != n.Profession || p.UserType != n.UserType || p.Change != n.Change {
			t.Errorf("claimed = %+v; want %+v", *p, n)
		}
		if err := s.FinishNotice(ctx, n.Key, 1, store.Outcome{Status: store.EmailSent}); err != nil {
			t.Fatal(err)
		}
		if recs, err := s.ListNotices(ctx, "user/sub-ada/"); err != nil || len(recs) != 1 || recs[0].Status != store.EmailSent {
			t.Errorf("notices = %+v, %v; want it sent", recs, err)
		}
	})
}

// PendingLearners names the learners with undelivered events that an
// account can take now, and only those.
func TestPendingLearners(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		received := time.Now().Add(-time.Minute).UTC()
		record := func(id, email, lhid string, at time.Time) {
			t.Helper()
			if _, err := s.RecordLearningHubEvent(ctx, store.LearningHubEvent{EventID: id, Type: "course.completed", CourseCode: "C",
				Email: email, LearningHubID: lhid, OccurredAt: at, ReceivedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		record("e1", "nobody@example.ca", "lh-1", received)
		record("e2", "owner@example.ca", "lh-2", received.Add(time.Second))
		record("e3", "owner@example.ca", "lh-2", time.Now().UTC()) // too recent: the API is delivering it
		a := mustAccountOf(t, s, "sub-owner", "owner@example.ca", "owner")
		if got, err := s.PendingLearners(ctx, time.Now().Add(-10*time.Second), 10); err != nil || len(got) != 0 {
			t.Fatalf("PendingLearners before any account could take them = %+v, %v; want none", got, err)
		}
		if _, _, err := s.ConfirmEmail(ctx, "sub-owner", a.EmailLink, time.Now(), domain.AuditEvent{Subject: "person:sub-owner"}); err != nil {
			t.Fatal(err)
		}
		got, err := s.PendingLearners(ctx, time.Now().Add(-10*time.Second), 10)
		if err != nil || len(got) != 1 || got[0] != (store.Learner{Email: "owner@example.ca", LearningHubID: "lh-2"}) {
			t.Fatalf("PendingLearners = %+v, %v; want the confirmed owner's", got, err)
		}
		if err := s.MarkLearningHubDelivered(ctx, "e2", "sub-owner"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.PendingLearners(ctx, time.Now().Add(-10*time.Second), 10); len(got) != 0 {
			t.Errorf("PendingLearners after delivery = %+v; want none", got)
		}
		// e3 is pending and bound now by its learningHubId, whatever its address.
		record("e4", "other@example.ca", "lh-2", received)
		if got, _ := s.PendingLearners(ctx, time.Now().Add(-10*time.Second), 10); len(got) != 1 || got[0].Email != "other@example.ca" {
			t.Errorf("PendingLearners of a bound learningHubId = %+v; want the event under another address", got)
		}
	})
}
