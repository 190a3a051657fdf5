// Package relay is the worker's outbox relay: a loop that runs on its own
// in the worker process and sends what the workflows' projection writes
// put in the outbox (emails and member notices), once each, after the
// change that caused them committed; and delivers the LearningHub events
// the API stored but could not deliver (Temporal was down, or no account
// could take them yet). Several worker replicas may run it at once: each
// row is claimed by one relay at a time (store.ClaimEmails).
package relay

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"careconnect/domain"
	"careconnect/links"
	"careconnect/mail"
	"careconnect/store"
)

// Back-off of failed attempts: the first retry after minBackoff, each
// next one twice as late, at most maxBackoff apart (as the email
// activities' retry policy was).
const (
	minBackoff = time.Second
	maxBackoff = 5 * time.Minute
)

// maxFullRounds bounds how many rounds a loop runs back to back while it
// finds full batches, before it waits for its interval: a backlog is
// worked through at once, and a round that keeps finding the same work
// cannot spin.
const maxFullRounds = 100

// learningHubGrace leaves a LearningHub event this long to the API's own
// attempt at delivery (it gives up after 5 s) before the relay tries it.
const learningHubGrace = 10 * time.Second

// Store is the storage the relay needs. *store.Store implements it.
type Store interface {
	// ClaimEmails claims up to limit pending emails due at now, each for
	// lease. Errors: EUNAVAILABLE.
	ClaimEmails(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.OutboxEmail, error)
	// FinishEmail records how a claimed attempt ended. Errors: EUNAVAILABLE.
	FinishEmail(ctx context.Context, key string, attempt int, o store.Outcome) error
	// ClaimNotices claims up to limit pending member notices due at now.
	ClaimNotices(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.OutboxNotice, error)
	// FinishNotice records how a claimed notice's attempt ended.
	FinishNotice(ctx context.Context, key string, attempt int, o store.Outcome) error
	// PersonWorksites lists the worksites where subject is a member or
	// has an open join request.
	PersonWorksites(ctx context.Context, subject string) ([]string, error)
	// PendingLearners names learners with undelivered LearningHub events
	// received before before that an account can take now.
	PendingLearners(ctx context.Context, before time.Time, limit int) ([]store.Learner, error)
	// GetWorksite returns a worksite or ENOTFOUND.
	GetWorksite(ctx context.Context, id string) (domain.Worksite, error)
	// GetAccount returns a person's account or ENOTFOUND.
	GetAccount(ctx context.Context, subject string) (domain.Account, error)
	// SweepUploads deletes the staged uploads older than before.
	SweepUploads(ctx context.Context, before time.Time) (int64, error)
}

// uploadTTL is how long a staged upload waits for the workflow that
// should store its declaration: far beyond any write's NotAfter, after
// which its update can no longer apply.
const uploadTTL = time.Hour

// Mailer sends one email over SMTP. *mail.Sender implements it.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// Signaler sends a signal to a workflow. client.Client implements it.
type Signaler interface {
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg interface{}) error
}

// Learners delivers one learner's pending LearningHub events.
// delivery.Deliverer implements it.
type Learners interface {
	Learner(ctx context.Context, email, learningHubID string) error
}

// Config says how the relay runs and what its emails say.
type Config struct {
	// Interval is how often the relay looks for work when nothing wakes it.
	Interval time.Duration
	// BatchSize is how many emails it sends at once (each on its own, so a
	// slow SMTP conversation holds only its own), and how many notices and
	// learners it takes per round.
	BatchSize int
	// Lease is how long a claimed email or notice is left to the relay that
	// claimed it before another may try it (its worker died): longer than
	// one send can take.
	Lease time.Duration
	// RetryFor is how long a failing email or notice is retried, from when
	// it was queued, before it is marked failed for good.
	RetryFor time.Duration

	// PublicBaseURL starts every emailed link.
	PublicBaseURL string
	// TeamEmail is the enrolment team's mailbox.
	TeamEmail string
	// ViewerURL is where provisioned users open CareConnect (not the portal).
	ViewerURL string
	// CourseName and CourseURL name the LearningHub course and link to it.
	CourseName, CourseURL string
	// Labels are the words an email uses for a code (a profession, see
	// ProfessionLabel): the table the portal reads at /reference, with the
	// configured professions (domain.Labels.WithProfessions). The zero
	// value uses domain.DefaultLabels.
	Labels domain.Labels
	// DeclarationTTL, JoinLinkTTL and EmailConfirmationTTL are how long
	// the declaration, join request and email confirmation links work.
	DeclarationTTL, JoinLinkTTL, EmailConfirmationTTL time.Duration
	// Location is the zone every date in an email is shown in: the
	// configured calendar.time_zone, the business calendar's. Required.
	Location *time.Location
}

// EmailMetrics counts the relay's email attempts. *telemetry.Metrics implements it.
type EmailMetrics interface {
	// EmailAttempt counts one attempt at an email of kind; outcome is
	// sent, retry, failed or skipped.
	EmailAttempt(kind, outcome string)
}

// Relay sends the outbox and delivers pending LearningHub events. Run it
// with Run; Wake makes it look at the outbox at once.
type Relay struct {
	Store       Store
	Mailer      Mailer
	Temporal    Signaler
	Links       *links.Signer
	LearningHub Learners
	Config      Config
	Log         *slog.Logger
	// Metrics counts each email attempt by kind and outcome; nil counts nothing.
	Metrics EmailMetrics
	// Now is the clock (time.Now unless a test sets it).
	Now func() time.Time

	once  sync.Once
	wakes [2]chan struct{} // emails, notices
}

func (r *Relay) init() {
	r.once.Do(func() {
		for i := range r.wakes {
			r.wakes[i] = make(chan struct{}, 1)
		}
		if r.Now == nil {
			r.Now = time.Now
		}
		if r.Log == nil {
			r.Log = slog.New(slog.DiscardHandler)
		}
	})
}

// Wake tells the relay that the outbox has something new (a projection
// write in this process stored emails or notices), so it sends them now
// rather than at its next round. It never blocks.
func (r *Relay) Wake() {
	r.init()
	for _, w := range r.wakes {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// SweepUploads deletes the staged uploads no workflow claimed within
// uploadTTL (their update was refused, or never reached its workflow). It
// reports no work, so its loop waits its interval between sweeps.
func (r *Relay) SweepUploads(ctx context.Context) (int, error) {
	r.init()
	n, err := r.Store.SweepUploads(ctx, r.Now().Add(-uploadTTL))
	if n > 0 {
		r.Log.Info("staged uploads swept", "count", n)
	}
	return 0, err
}

// Run runs the relay's three loops (emails, member notices, LearningHub
// events) until ctx is done, and returns once the rounds under way have
// finished.
func (r *Relay) Run(ctx context.Context) {
	r.init()
	var wg sync.WaitGroup
	loops := []struct {
		name  string
		round func(context.Context) (int, error)
		wake  <-chan struct{}
	}{
		{"notices", r.SendNotices, r.wakes[1]},
		{"learninghub", r.DeliverLearningHub, nil},
		{"uploads", r.SweepUploads, nil},
	}
	for _, l := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.loop(ctx, l.name, l.round, l.wake)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.emailLoop(ctx, r.wakes[0])
	}()
	wg.Wait()
}

// noteRound logs a loop's failure once, and its recovery: failing is whether
// it was failing, and the result whether it is.
func (r *Relay) noteRound(ctx context.Context, name string, failing bool, err error) bool {
	switch {
	case err != nil && ctx.Err() == nil && !failing:
		r.Log.Warn("relay: round failed; retrying every interval", "loop", name, "error", err)
		return true
	case err == nil && failing:
		r.Log.Info("relay: round succeeded again", "loop", name)
		return false
	}
	return failing
}

// loop runs round until ctx is done: again at once while it finds a full
// batch, else at the next interval or wake. A failing round (the database
// or Temporal down) is logged once, and its recovery too.
func (r *Relay) loop(ctx context.Context, name string, round func(context.Context) (int, error), wake <-chan struct{}) {
	t := time.NewTicker(r.Config.Interval)
	defer t.Stop()
	failing, full := false, 0
	for ctx.Err() == nil {
		// A round that has begun finishes (within the lease) even when ctx
		// ends: a send cut off midway would be sent again by another relay.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.Config.Lease)
		n, err := round(rctx)
		cancel()
		failing = r.noteRound(ctx, name, failing, err)
		if err == nil && n >= r.Config.BatchSize && full < maxFullRounds {
			full++
			continue
		}
		full = 0
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-wake:
		}
	}
}

// backoff is when attempt (1 for the first) may be followed by the next.
func backoff(attempt int) time.Duration {
	d := minBackoff
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// retry is the outcome of a failed attempt that may succeed later: tried
// again after the back-off, unless that would be past queuedAt+RetryFor,
// in which case it fails for good.
func (r *Relay) retry(now, queuedAt time.Time, attempt int, reason string) store.Outcome {
	next := now.Add(backoff(attempt))
	if next.After(queuedAt.Add(r.Config.RetryFor)) {
		return store.Outcome{Status: store.EmailFailed, Error: reason + " (retried since " + queuedAt.UTC().Format(time.RFC3339) + ")"}
	}
	return store.Outcome{Status: store.EmailPending, RetryAt: next, Error: reason}
}

// ProfessionLabel is the words for a profession code in emails: its label
// in c.Labels (domain.Label: a code the table lacks made readable), never
// the code itself. A value that is not a code is kept as it is.
func (c Config) ProfessionLabel(code string) string {
	table := c.Labels.Professions
	if table == nil {
		table = domain.DefaultLabels().Professions
	}
	if _, ok := table[code]; !ok && strings.ContainsAny(code, " ()") {
		return code // already words
	}
	return domain.Label(table, code)
}
