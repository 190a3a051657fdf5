// Package enrolment is the application layer: one method of Service per
// use case, between the HTTP layer (package api) and the workflows and the
// store. Each use case authorizes the caller (authz), validates the input
// (domain rules), carries the write to its owner and returns a domain
// error, whose code the HTTP layer turns into a status.
//
// A use case reaches the outside only through the ports below, small
// interfaces whose methods name the error codes they return: the store
// (Store, implemented by *store.Store), the workflows (Workflows,
// implemented over the Temporal client by package enrolment/temporal), the
// verifiers of emailed links (*links.Signer) and of LearningHub's
// signatures (*learninghub.Keyring), a password Hasher and a clock. So the use
// cases are tested with in-memory fakes (package enrolment/enrolmenttest)
// as well as by the system tests, and api imports neither the store nor
// the workflows.
//
// One file per capability: worksites, membership, declarations,
// applications, accounts (with email confirmation), learninghub and team
// (the team's queue, funnel, people and audit reads).
package enrolment

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"careconnect/authz"
	"careconnect/config"
	"careconnect/domain"
	"careconnect/links"
)

// Caller is who makes a request, as the HTTP layer authenticated them.
type Caller struct {
	// Principal is the signed-in caller; nil for an anonymous one (the
	// holder of an emailed link, LearningHub).
	Principal *domain.Principal
	// RequestID names the request: audit records carry it, and workflow
	// update IDs are made from it, so a retried request is applied once.
	RequestID string
}

// Input reads a request's body into v, a pointer to the use case's input,
// refusing a body that does not decode with EINVALID. A use case reads it
// only once it has authorized the caller (and, for a declaration, checked
// its link and the worksite's state), so a caller who may not act costs
// no upload and learns nothing from validation. The HTTP layer makes one
// per request.
type Input func(v any) error

// WorksiteStore keeps worksites: the registrations, the details their
// administrators and the team change, and the projections of their
// workflows.
type WorksiteStore interface {
	// GetWorksite returns a worksite. Errors: ENOTFOUND.
	GetWorksite(ctx context.Context, id string) (domain.Worksite, error)
	// GetWorksiteStatus returns the projected status. Errors: ENOTFOUND.
	GetWorksiteStatus(ctx context.Context, id string) (domain.WorksiteStatus, error)
	// ReadWorksite returns a worksite, its active administrators and its
	// status as projected (StatusSeq 0: not yet), in one query.
	// Errors: ENOTFOUND.
	ReadWorksite(ctx context.Context, id string) (domain.WorksiteRead, error)
	// ListWorksites lists worksites from the projection, longest waiting first.
	ListWorksites(ctx context.Context, f domain.WorksiteFilter) ([]domain.WorksiteSummary, error)
	// SearchWorksites finds worksites by a prefix of their address.
	// Errors: EINVALID (fields "address" and "limit").
	SearchWorksites(ctx context.Context, prefix string, limit int) ([]domain.WorksiteHit, error)
}

// MembershipStore reads the membership projections.
type MembershipStore interface {
	// WorksiteAdmins lists the subjects of a worksite's active
	// administrators. Errors: ENOTFOUND.
	WorksiteAdmins(ctx context.Context, worksiteID string) ([]string, error)
	// GetMembership returns a worksite's members, join requests and
	// invitations. Errors: ENOTFOUND.
	GetMembership(ctx context.Context, worksiteID string) (domain.Membership, error)
	// MemberWorksites lists the worksites subject belongs to.
	MemberWorksites(ctx context.Context, subject string) ([]domain.MemberWorksite, error)
	// PendingForPerson lists the open join requests subject sent and the
	// open invitations to email ("" for none), oldest first.
	PendingForPerson(ctx context.Context, subject, email string, now time.Time) ([]domain.PendingMembership, error)
	// IsActiveMember reports whether subject is an active member of the worksite.
	IsActiveMember(ctx context.Context, worksiteID, subject string) (bool, error)
}

// DeclarationStore keeps worksites' Privacy & Security Declarations.
type DeclarationStore interface {
	// StageUpload stores a validated screenshot for the worksite's
	// workflow to make its declaration from, and returns its ID.
	// Errors: EUNAVAILABLE.
	StageUpload(ctx context.Context, worksiteID string, content []byte, contentType, sha string, at time.Time) (string, error)
	// GetDeclaration returns a worksite's declaration. Errors: ENOTFOUND.
	GetDeclaration(ctx context.Context, worksiteID string) (domain.Declaration, error)
}

// PersonStore reads the people who signed in and their projected status
// (their user workflows write both).
type PersonStore interface {
	// GetUserStatus returns a person's projected status. Errors: ENOTFOUND.
	GetUserStatus(ctx context.Context, subject string) (domain.UserStatus, error)
	// UserStatusJSON returns the projected status as stored and its
	// sequence number (0: never projected). Errors: ENOTFOUND.
	UserStatusJSON(ctx context.Context, subject string) (json.RawMessage, int, error)
	// UserStatusView is UserStatusJSON with MemberWorksites, in one read
	// (the status page polls it). Errors: ENOTFOUND.
	UserStatusView(ctx context.Context, subject string) (json.RawMessage, int, []domain.MemberWorksite, error)
}

// AccountStore keeps HxBC accounts.
type AccountStore interface {
	// GetAccount returns a person's account. Errors: ENOTFOUND.
	GetAccount(ctx context.Context, subject string) (domain.Account, error)
}

// ApplicationStore reads the application projections.
type ApplicationStore interface {
	// ListApplications lists the applications f selects, longest waiting first.
	ListApplications(ctx context.Context, f domain.ApplicationFilter) ([]domain.QueuedApplication, error)
	// PageApplications is one page of f's applications (f.Limit from
	// f.Cursor), their total and the next page's cursor. Errors: EINVALID (field "cursor").
	PageApplications(ctx context.Context, f domain.ApplicationFilter) (domain.ApplicationPage, error)
	// SponsorshipRequests lists the open applications at a worksite that
	// wait for a sponsor, oldest request first.
	SponsorshipRequests(ctx context.Context, worksiteID string) ([]domain.SponsorshipRequest, error)
}

// LearningHubStore keeps LearningHub's callbacks until their learner's
// workflow has them.
type LearningHubStore interface {
	// RecordLearningHubEvent stores an event once; a second call with its
	// ID reports duplicate. Errors: EUNAVAILABLE.
	RecordLearningHubEvent(ctx context.Context, e domain.LearningHubEvent) (duplicate bool, err error)
	// PendingLearningHubEvents are the undelivered events of a learner (by
	// email, or learningHubID when set), oldest first.
	PendingLearningHubEvents(ctx context.Context, email, learningHubID string) ([]domain.LearningHubEvent, error)
	// MarkLearningHubDelivered records delivery to subject's workflow ("":
	// nothing to deliver), binding the event's learningHubId to the
	// account at its first delivery. Errors: ENOTFOUND.
	MarkLearningHubDelivered(ctx context.Context, eventID, subject string) error
	// LearnerSubject finds the account an event goes to: by bound
	// learningHubId, else by confirmed email. Errors: ENOTFOUND.
	LearnerSubject(ctx context.Context, email, learningHubID string) (string, error)
}

// TeamStore is what only the enrolment team reads and does: audit
// trails, the email log, the funnel, and ending a person's sessions.
type TeamStore interface {
	// ListAudit returns the audit trail of a subject ("worksite:<ID>",
	// "person:<subject>"), oldest first.
	ListAudit(ctx context.Context, subject string) ([]domain.AuditEvent, error)
	// ListEmails returns the email log entries whose key starts with prefix.
	ListEmails(ctx context.Context, prefix string) ([]domain.EmailRecord, error)
	// Funnel counts the projections by state and waiting party.
	Funnel(ctx context.Context) ([]domain.FunnelCount, error)
	// RevokeSessions ends every session of subject with the audit record
	// audit(ended), in one transaction, and says how many it ended.
	RevokeSessions(ctx context.Context, subject string, audit func(ended int64) domain.AuditEvent) (int64, error)
	// FindPeople lists the people q.Text matches (names, email, username),
	// one page from q.Cursor, with the total. Errors: EINVALID (field "cursor").
	FindPeople(ctx context.Context, q domain.ListQuery) (domain.PeoplePage, error)
	// FindWorksites lists the worksites q.Text (name, ID, address) and f
	// match, one page from q.Cursor, with the total. Errors: EINVALID (field "cursor").
	FindWorksites(ctx context.Context, q domain.ListQuery, f domain.WorksiteFilter) (domain.WorksitePage, error)
}

// Store is every store port together. *store.Store implements it. Any of
// its methods may also return EUNAVAILABLE when the database does not
// answer.
type Store interface {
	WorksiteStore
	MembershipStore
	DeclarationStore
	PersonStore
	AccountStore
	ApplicationStore
	LearningHubStore
	TeamStore
	// Ping checks that the database answers. Errors: EUNAVAILABLE.
	Ping(ctx context.Context) error
}

// ErrNoWorkflow is in the chain of a Workflows error (beside its ENOTFOUND
// *domain.Error) when the workflow does not exist or has finished, so it
// takes no update: told apart from a validator's own ENOTFOUND ("no such
// join request").
var ErrNoWorkflow = errors.New("enrolment: no such workflow, or it has finished")

// Workflows is the workflow service. Errors are domain errors: a refused
// update carries its validator's code and words (EINVALID with its fields,
// EFORBIDDEN, ENOTFOUND, ECONFLICT, EUNPROCESSABLE); a workflow that does
// not run is ENOTFOUND with ErrNoWorkflow; a service that does not answer
// in time is EUNAVAILABLE. Arguments and results travel as JSON.
type Workflows interface {
	// Start starts workflow id of type workflowType with input. An ID that
	// ran before is refused. Errors: ECONFLICT, EUNAVAILABLE.
	Start(ctx context.Context, id, workflowType string, input any) error
	// Update sends update name with arg to workflow id and waits for its
	// result, decoded into out. updateID identifies the request: the
	// service applies one ID once. Errors: the validator's, ENOTFOUND
	// (ErrNoWorkflow), EUNAVAILABLE.
	Update(ctx context.Context, id, updateID, name string, arg, out any) error
	// Ensure starts workflow id of type workflowType with input unless it
	// runs already, in which case nothing changes (its history gains
	// nothing). Errors: EUNAVAILABLE.
	Ensure(ctx context.Context, id, workflowType string, input any) error
	// Query asks workflow id's query name; the answer is decoded into out.
	// Errors: ENOTFOUND (ErrNoWorkflow), EUNAVAILABLE.
	Query(ctx context.Context, id, name string, out any) error
	// Signal sends signal name with arg to workflow id.
	// Errors: ENOTFOUND (ErrNoWorkflow), EUNAVAILABLE.
	Signal(ctx context.Context, id, name string, arg any) error
	// Ping checks that the workflow service answers. Errors: EUNAVAILABLE.
	Ping(ctx context.Context) error
	// Write sends a write update (one that carries a domain.Write its
	// workflow makes) and waits for it to be accepted until c.NotAfter
	// plus a skew margin, then for its result with what is left of ctx.
	// Errors: the validator's or the handler's (a refused write);
	// EUNAVAILABLE when it was not accepted in time (its validator will
	// refuse it: nothing happens); *domain.Accepted when it was accepted
	// but not completed in time (it will happen).
	Write(ctx context.Context, c WriteCall) error
}

// WriteCall is a write update to send (Workflows.Write).
type WriteCall struct {
	// WorkflowID is the workflow's; WorkflowType and Input, when set,
	// start it first unless it runs (update-with-start).
	WorkflowID   string
	WorkflowType string
	Input        any
	// UpdateID comes from the request, so a retry is applied once.
	UpdateID, Name string
	Arg, Out       any
	// NotAfter is the argument's: the validator refuses the update after it.
	NotAfter time.Time
}

// LinkVerifier verifies the signed tokens of emailed links. *links.Signer
// implements it.
type LinkVerifier interface {
	// Verify returns the claims of a token of purpose want that has not
	// expired at now. Errors: links.ErrExpired; links.ErrMalformed or
	// links.ErrSignature for anything else.
	Verify(token string, want domain.LinkPurpose, now time.Time) (links.Claims, error)
}

// LearningHubVerifier verifies the signatures of LearningHub's callbacks.
// *learninghub.Keyring implements it.
type LearningHubVerifier interface {
	// Verify checks header, the callback's signature header, against body
	// at now, within tolerance. Errors: learninghub.ErrNoSignature,
	// learninghub.ErrStale, or another for a signature that does not match.
	Verify(header string, body []byte, now time.Time, tolerance time.Duration) error
}

// Hasher hashes passwords for the account store.
type Hasher interface {
	// Hash returns the stored form of password.
	Hash(password string) (string, error)
}

// Deps are the Service's dependencies, built once in main.
type Deps struct {
	Config    config.Config
	Store     Store
	Workflows Workflows
	Links     LinkVerifier
	// LearningHub verifies callback signatures (learninghub.secret or learninghub.keys).
	LearningHub LearningHubVerifier
	Hasher      Hasher
	Logger      *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Operations serves the operators' commands (operations.go); nil
	// answers them EUNAVAILABLE.
	Operations OperationsStore
}

// Service runs the use cases. Its methods are safe for concurrent use.
type Service struct {
	cfg         config.Config
	store       Store
	wf          Workflows
	links       LinkVerifier
	hub         LearningHubVerifier
	hasher      Hasher
	ops         OperationsStore
	log         *slog.Logger
	now         func() time.Time
	types       domain.WorksiteTypes
	professions domain.Professions
	// decodes holds a token for each screenshot being decoded (at most
	// screenshotDecodeSlots); decodeWait is how long a request waits for one.
	decodes    chan struct{}
	decodeWait time.Duration
}

// New returns the Service of d.
func New(d Deps) *Service {
	s := &Service{cfg: d.Config, store: d.Store, wf: d.Workflows, links: d.Links, hub: d.LearningHub, hasher: d.Hasher, ops: d.Operations, log: d.Logger, now: d.Now,
		types: domain.IndexWorksiteTypes(d.Config.Policy.WorksiteTypes), professions: domain.IndexProfessions(d.Config.Policy.Professions),
		decodes: make(chan struct{}, screenshotDecodeSlots), decodeWait: defaultScreenshotSlotWait}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Ready checks the database, which readiness depends on: reads come from
// its projections, so the API serves while Temporal is down (writes then
// answer 503). Temporal's state is reported beside it by the caller.
func (s *Service) Ready(ctx context.Context) error {
	return s.store.Ping(ctx)
}

// authorize asks authz whether the caller may do a to r.
func authorize(by Caller, a authz.Action, r authz.Resource) error {
	return authz.Authorize(by.Principal, a, r)
}

// signedIn refuses an anonymous caller, for use cases that authorize
// against what they must read first.
func signedIn(by Caller) error {
	if by.Principal == nil {
		return domain.Errorf(domain.EUNAUTHORIZED, "sign in first")
	}
	return nil
}

// updateID makes a workflow update's ID from the request ID, scoped by the
// caller, so one caller's retry is applied once and two callers who send
// the same X-Request-ID never share a result.
func updateID(by Caller, name string) string {
	who := "link"
	if by.Principal != nil {
		who = by.Principal.Subject
	}
	return name + "/" + who + "/" + by.RequestID
}

// audit builds the audit record of a change the caller makes.
func (s *Service) audit(by Caller, subject, action, detail string) domain.AuditEvent {
	e := domain.AuditEvent{At: s.now().UTC(), Subject: subject, Action: action, Detail: detail, RequestID: by.RequestID}
	if p := by.Principal; p != nil {
		// The name as the identity provider gave it, so that the team's
		// timeline names who acted as they were called then.
		e.Actor, e.ActorName, e.Role = p.Subject, strings.TrimSpace(p.GivenName+" "+p.FamilyName), string(p.Role)
	}
	return e
}

// newID names a join request or invitation; it is the server's, not the caller's.
func newID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic("enrolment: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// notAfter is when a write begun now must have reached its workflow:
// after it, the workflow's validator refuses it (config temporal.write_budget).
func (s *Service) notAfter() time.Time {
	return s.now().UTC().Add(s.writeBudget())
}

// writeBudget is how long a write may take to reach its workflow (config
// temporal.write_budget, or defaultWriteBudget when it has none).
func (s *Service) writeBudget() time.Duration {
	if b := s.cfg.Temporal.WriteBudget; b > 0 {
		return b
	}
	return defaultWriteBudget
}

// defaultWriteBudget is the write budget when the configuration has none.
const defaultWriteBudget = 10 * time.Second

// write sends a write update and answers an accepted-but-unfinished one
// with where to see its status.
func (s *Service) write(ctx context.Context, c WriteCall, statusURL string) error {
	err := s.wf.Write(ctx, c)
	var acc *domain.Accepted
	if errors.As(err, &acc) {
		return &domain.Accepted{Message: domain.AcceptedMessage, StatusURL: statusURL}
	}
	return err
}
