// Package enrolmenttest has fakes of the enrolment ports for the use
// cases' unit tests (wtf's mock habit): each method calls its function
// field, and one left nil panics, naming the call the test did not expect.
package enrolmenttest

import (
	"context"
	"encoding/json"
	"time"

	"careconnect/domain"
	"careconnect/enrolment"
)

var (
	_ enrolment.Store     = (*Store)(nil)
	_ enrolment.Workflows = (*Workflows)(nil)
	_ enrolment.Hasher    = Hasher(nil)
)

// unexpected is the panic of a call whose function field is nil.
func unexpected(call string) string { return "enrolmenttest: unexpected call to " + call }

// Hasher is a password hasher.
type Hasher func(password string) (string, error)

// Hash calls h.
func (h Hasher) Hash(password string) (string, error) { return h(password) }

// Return copies v into out, a pointer, through JSON, as the workflow
// service hands a result over; a Workflows fake answers with it.
func Return(out, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// Clock is a clock stopped at a time.
func Clock(at time.Time) func() time.Time { return func() time.Time { return at } }

// Store is enrolment.Store.
type Store struct {
	GetWorksiteFn              func(ctx context.Context, id string) (domain.Worksite, error)
	GetWorksiteStatusFn        func(ctx context.Context, id string) (domain.WorksiteStatus, error)
	ReadWorksiteFn             func(ctx context.Context, id string) (domain.WorksiteRead, error)
	ListWorksitesFn            func(ctx context.Context, f domain.WorksiteFilter) ([]domain.WorksiteSummary, error)
	SearchWorksitesFn          func(ctx context.Context, prefix string, limit int) ([]domain.WorksiteHit, error)
	WorksiteAdminsFn           func(ctx context.Context, worksiteID string) ([]string, error)
	GetMembershipFn            func(ctx context.Context, worksiteID string) (domain.Membership, error)
	MemberWorksitesFn          func(ctx context.Context, subject string) ([]domain.MemberWorksite, error)
	IsActiveMemberFn           func(ctx context.Context, worksiteID, subject string) (bool, error)
	GetDeclarationFn           func(ctx context.Context, worksiteID string) (domain.Declaration, error)
	GetUserStatusFn            func(ctx context.Context, subject string) (domain.UserStatus, error)
	UserStatusJSONFn           func(ctx context.Context, subject string) (json.RawMessage, int, error)
	UserStatusViewFn           func(ctx context.Context, subject string) (json.RawMessage, int, []domain.MemberWorksite, error)
	GetAccountFn               func(ctx context.Context, subject string) (domain.Account, error)
	ListApplicationsFn         func(ctx context.Context, f domain.ApplicationFilter) ([]domain.QueuedApplication, error)
	PageApplicationsFn         func(ctx context.Context, f domain.ApplicationFilter) (domain.ApplicationPage, error)
	SponsorshipRequestsFn      func(ctx context.Context, worksiteID string) ([]domain.SponsorshipRequest, error)
	RecordLearningHubEventFn   func(ctx context.Context, e domain.LearningHubEvent) (duplicate bool, err error)
	PendingLearningHubEventsFn func(ctx context.Context, email, learningHubID string) ([]domain.LearningHubEvent, error)
	MarkLearningHubDeliveredFn func(ctx context.Context, eventID, subject string) error
	LearnerSubjectFn           func(ctx context.Context, email, learningHubID string) (string, error)
	ListAuditFn                func(ctx context.Context, subject string) ([]domain.AuditEvent, error)
	ListEmailsFn               func(ctx context.Context, prefix string) ([]domain.EmailRecord, error)
	FunnelFn                   func(ctx context.Context) ([]domain.FunnelCount, error)
	RevokeSessionsFn           func(ctx context.Context, subject string, audit func(ended int64) domain.AuditEvent) (int64, error)
	PingFn                     func(ctx context.Context) error
	StageUploadFn              func(ctx context.Context, worksiteID string, content []byte, contentType, sha string, at time.Time) (string, error)
	PendingForPersonFn         func(ctx context.Context, subject, email string, now time.Time) ([]domain.PendingMembership, error)
	FindPeopleFn               func(ctx context.Context, q domain.ListQuery) (domain.PeoplePage, error)
	FindWorksitesFn            func(ctx context.Context, q domain.ListQuery, f domain.WorksiteFilter) (domain.WorksitePage, error)
}

// StageUpload calls StageUploadFn.
func (fake *Store) StageUpload(ctx context.Context, worksiteID string, content []byte, contentType, sha string, at time.Time) (string, error) {
	if fake.StageUploadFn == nil {
		panic(unexpected("Store.StageUpload"))
	}
	return fake.StageUploadFn(ctx, worksiteID, content, contentType, sha, at)
}

// GetWorksite calls GetWorksiteFn.
func (fake *Store) GetWorksite(ctx context.Context, id string) (domain.Worksite, error) {
	if fake.GetWorksiteFn == nil {
		panic(unexpected("Store.GetWorksite"))
	}
	return fake.GetWorksiteFn(ctx, id)
}

// GetWorksiteStatus calls GetWorksiteStatusFn.
func (fake *Store) GetWorksiteStatus(ctx context.Context, id string) (domain.WorksiteStatus, error) {
	if fake.GetWorksiteStatusFn == nil {
		panic(unexpected("Store.GetWorksiteStatus"))
	}
	return fake.GetWorksiteStatusFn(ctx, id)
}

// ReadWorksite calls ReadWorksiteFn.
func (fake *Store) ReadWorksite(ctx context.Context, id string) (domain.WorksiteRead, error) {
	if fake.ReadWorksiteFn == nil {
		panic(unexpected("Store.ReadWorksite"))
	}
	return fake.ReadWorksiteFn(ctx, id)
}

// ListWorksites calls ListWorksitesFn.
func (fake *Store) ListWorksites(ctx context.Context, f domain.WorksiteFilter) ([]domain.WorksiteSummary, error) {
	if fake.ListWorksitesFn == nil {
		panic(unexpected("Store.ListWorksites"))
	}
	return fake.ListWorksitesFn(ctx, f)
}

// SearchWorksites calls SearchWorksitesFn.
func (fake *Store) SearchWorksites(ctx context.Context, prefix string, limit int) ([]domain.WorksiteHit, error) {
	if fake.SearchWorksitesFn == nil {
		panic(unexpected("Store.SearchWorksites"))
	}
	return fake.SearchWorksitesFn(ctx, prefix, limit)
}

// WorksiteAdmins calls WorksiteAdminsFn.
func (fake *Store) WorksiteAdmins(ctx context.Context, worksiteID string) ([]string, error) {
	if fake.WorksiteAdminsFn == nil {
		panic(unexpected("Store.WorksiteAdmins"))
	}
	return fake.WorksiteAdminsFn(ctx, worksiteID)
}

// GetMembership calls GetMembershipFn.
func (fake *Store) GetMembership(ctx context.Context, worksiteID string) (domain.Membership, error) {
	if fake.GetMembershipFn == nil {
		panic(unexpected("Store.GetMembership"))
	}
	return fake.GetMembershipFn(ctx, worksiteID)
}

// MemberWorksites calls MemberWorksitesFn.
func (fake *Store) MemberWorksites(ctx context.Context, subject string) ([]domain.MemberWorksite, error) {
	if fake.MemberWorksitesFn == nil {
		panic(unexpected("Store.MemberWorksites"))
	}
	return fake.MemberWorksitesFn(ctx, subject)
}

// IsActiveMember calls IsActiveMemberFn.
func (fake *Store) IsActiveMember(ctx context.Context, worksiteID, subject string) (bool, error) {
	if fake.IsActiveMemberFn == nil {
		panic(unexpected("Store.IsActiveMember"))
	}
	return fake.IsActiveMemberFn(ctx, worksiteID, subject)
}

// FindPeople calls FindPeopleFn.
func (fake *Store) FindPeople(ctx context.Context, q domain.ListQuery) (domain.PeoplePage, error) {
	if fake.FindPeopleFn == nil {
		panic(unexpected("Store.FindPeople"))
	}
	return fake.FindPeopleFn(ctx, q)
}

// FindWorksites calls FindWorksitesFn.
func (fake *Store) FindWorksites(ctx context.Context, q domain.ListQuery, f domain.WorksiteFilter) (domain.WorksitePage, error) {
	if fake.FindWorksitesFn == nil {
		panic(unexpected("Store.FindWorksites"))
	}
	return fake.FindWorksitesFn(ctx, q, f)
}

// PendingForPerson calls PendingForPersonFn.
func (fake *Store) PendingForPerson(ctx context.Context, subject, email string, now time.Time) ([]domain.PendingMembership, error) {
	if fake.PendingForPersonFn == nil {
		panic(unexpected("Store.PendingForPerson"))
	}
	return fake.PendingForPersonFn(ctx, subject, email, now)
}

// GetDeclaration calls GetDeclarationFn.
func (fake *Store) GetDeclaration(ctx context.Context, worksiteID string) (domain.Declaration, error) {
	if fake.GetDeclarationFn == nil {
		panic(unexpected("Store.GetDeclaration"))
	}
	return fake.GetDeclarationFn(ctx, worksiteID)
}

// GetUserStatus calls GetUserStatusFn.
func (fake *Store) GetUserStatus(ctx context.Context, subject string) (domain.UserStatus, error) {
	if fake.GetUserStatusFn == nil {
		panic(unexpected("Store.GetUserStatus"))
	}
	return fake.GetUserStatusFn(ctx, subject)
}

// UserStatusView calls UserStatusViewFn or, without one, UserStatusJSONFn
// and (when set) MemberWorksitesFn, which the real store answers together.
func (fake *Store) UserStatusView(ctx context.Context, subject string) (json.RawMessage, int, []domain.MemberWorksite, error) {
	if fake.UserStatusViewFn != nil {
		return fake.UserStatusViewFn(ctx, subject)
	}
	raw, seq, err := fake.UserStatusJSON(ctx, subject)
	if err != nil || fake.MemberWorksitesFn == nil {
		return raw, seq, nil, err
	}
	mine, err := fake.MemberWorksitesFn(ctx, subject)
	return raw, seq, mine, err
}

// UserStatusJSON calls UserStatusJSONFn.
func (fake *Store) UserStatusJSON(ctx context.Context, subject string) (json.RawMessage, int, error) {
	if fake.UserStatusJSONFn == nil {
		panic(unexpected("Store.UserStatusJSON"))
	}
	return fake.UserStatusJSONFn(ctx, subject)
}

// GetAccount calls GetAccountFn.
func (fake *Store) GetAccount(ctx context.Context, subject string) (domain.Account, error) {
	if fake.GetAccountFn == nil {
		panic(unexpected("Store.GetAccount"))
	}
	return fake.GetAccountFn(ctx, subject)
}

// PageApplications calls PageApplicationsFn.
func (fake *Store) PageApplications(ctx context.Context, f domain.ApplicationFilter) (domain.ApplicationPage, error) {
	if fake.PageApplicationsFn == nil {
		panic(unexpected("Store.PageApplications"))
	}
	return fake.PageApplicationsFn(ctx, f)
}

// ListApplications calls ListApplicationsFn.
func (fake *Store) ListApplications(ctx context.Context, f domain.ApplicationFilter) ([]domain.QueuedApplication, error) {
	if fake.ListApplicationsFn == nil {
		panic(unexpected("Store.ListApplications"))
	}
	return fake.ListApplicationsFn(ctx, f)
}

// SponsorshipRequests calls SponsorshipRequestsFn.
func (fake *Store) SponsorshipRequests(ctx context.Context, worksiteID string) ([]domain.SponsorshipRequest, error) {
	if fake.SponsorshipRequestsFn == nil {
		panic(unexpected("Store.SponsorshipRequests"))
	}
	return fake.SponsorshipRequestsFn(ctx, worksiteID)
}

// RecordLearningHubEvent calls RecordLearningHubEventFn.
func (fake *Store) RecordLearningHubEvent(ctx context.Context, e domain.LearningHubEvent) (duplicate bool, err error) {
	if fake.RecordLearningHubEventFn == nil {
		panic(unexpected("Store.RecordLearningHubEvent"))
	}
	return fake.RecordLearningHubEventFn(ctx, e)
}

// PendingLearningHubEvents calls PendingLearningHubEventsFn.
func (fake *Store) PendingLearningHubEvents(ctx context.Context, email, learningHubID string) ([]domain.LearningHubEvent, error) {
	if fake.PendingLearningHubEventsFn == nil {
		panic(unexpected("Store.PendingLearningHubEvents"))
	}
	return fake.PendingLearningHubEventsFn(ctx, email, learningHubID)
}

// MarkLearningHubDelivered calls MarkLearningHubDeliveredFn.
func (fake *Store) MarkLearningHubDelivered(ctx context.Context, eventID, subject string) error {
	if fake.MarkLearningHubDeliveredFn == nil {
		panic(unexpected("Store.MarkLearningHubDelivered"))
	}
	return fake.MarkLearningHubDeliveredFn(ctx, eventID, subject)
}

// LearnerSubject calls LearnerSubjectFn.
func (fake *Store) LearnerSubject(ctx context.Context, email, learningHubID string) (string, error) {
	if fake.LearnerSubjectFn == nil {
		panic(unexpected("Store.LearnerSubject"))
	}
	return fake.LearnerSubjectFn(ctx, email, learningHubID)
}

// ListAudit calls ListAuditFn.
func (fake *Store) ListAudit(ctx context.Context, subject string) ([]domain.AuditEvent, error) {
	if fake.ListAuditFn == nil {
		panic(unexpected("Store.ListAudit"))
	}
	return fake.ListAuditFn(ctx, subject)
}

// ListEmails calls ListEmailsFn.
func (fake *Store) ListEmails(ctx context.Context, prefix string) ([]domain.EmailRecord, error) {
	if fake.ListEmailsFn == nil {
		panic(unexpected("Store.ListEmails"))
	}
	return fake.ListEmailsFn(ctx, prefix)
}

// Funnel calls FunnelFn.
func (fake *Store) Funnel(ctx context.Context) ([]domain.FunnelCount, error) {
	if fake.FunnelFn == nil {
		panic(unexpected("Store.Funnel"))
	}
	return fake.FunnelFn(ctx)
}

// RevokeSessions calls RevokeSessionsFn.
func (fake *Store) RevokeSessions(ctx context.Context, subject string, audit func(ended int64) domain.AuditEvent) (int64, error) {
	if fake.RevokeSessionsFn == nil {
		panic(unexpected("Store.RevokeSessions"))
	}
	return fake.RevokeSessionsFn(ctx, subject, audit)
}

// Ping calls PingFn.
func (fake *Store) Ping(ctx context.Context) error {
	if fake.PingFn == nil {
		panic(unexpected("Store.Ping"))
	}
	return fake.PingFn(ctx)
}

// Workflows is enrolment.Workflows.
type Workflows struct {
	StartFn  func(ctx context.Context, id, workflowType string, input any) error
	UpdateFn func(ctx context.Context, id, updateID, name string, arg, out any) error
	EnsureFn func(ctx context.Context, id, workflowType string, input any) error
	QueryFn  func(ctx context.Context, id, name string, out any) error
	SignalFn func(ctx context.Context, id, name string, arg any) error
	PingFn   func(ctx context.Context) error
	WriteFn  func(ctx context.Context, c enrolment.WriteCall) error
}

// Write calls WriteFn.
func (fake *Workflows) Write(ctx context.Context, c enrolment.WriteCall) error {
	if fake.WriteFn == nil {
		panic(unexpected("Workflows.Write"))
	}
	return fake.WriteFn(ctx, c)
}

// Start calls StartFn.
func (fake *Workflows) Start(ctx context.Context, id, workflowType string, input any) error {
	if fake.StartFn == nil {
		panic(unexpected("Workflows.Start"))
	}
	return fake.StartFn(ctx, id, workflowType, input)
}

// Update calls UpdateFn.
func (fake *Workflows) Update(ctx context.Context, id, updateID, name string, arg, out any) error {
	if fake.UpdateFn == nil {
		panic(unexpected("Workflows.Update"))
	}
	return fake.UpdateFn(ctx, id, updateID, name, arg, out)
}

// Ensure calls EnsureFn.
func (fake *Workflows) Ensure(ctx context.Context, id, workflowType string, input any) error {
	if fake.EnsureFn == nil {
		panic(unexpected("Workflows.Ensure"))
	}
	return fake.EnsureFn(ctx, id, workflowType, input)
}

// Query calls QueryFn.
func (fake *Workflows) Query(ctx context.Context, id, name string, out any) error {
	if fake.QueryFn == nil {
		panic(unexpected("Workflows.Query"))
	}
	return fake.QueryFn(ctx, id, name, out)
}

// Signal calls SignalFn.
func (fake *Workflows) Signal(ctx context.Context, id, name string, arg any) error {
	if fake.SignalFn == nil {
		panic(unexpected("Workflows.Signal"))
	}
	return fake.SignalFn(ctx, id, name, arg)
}

// Ping calls PingFn.
func (fake *Workflows) Ping(ctx context.Context) error {
	if fake.PingFn == nil {
		panic(unexpected("Workflows.Ping"))
	}
	return fake.PingFn(ctx)
}
