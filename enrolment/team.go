package enrolment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"careconnect/authz"
	"careconnect/domain"
	"careconnect/workflows"
)

// QueueQuery is the team's queue as asked: state (the HTTP layer's
// default is ready for provisioning), profession, worksite type and
// overdue ("true", "false" or ""), as written in the query; and the
// pages: the applications' cursor and size, and the worksites awaiting
// approval's ("" for the first page and the default size).
type QueueQuery struct {
	State, Profession, WorksiteType, Overdue string
	Cursor, Limit                            string
	WorksitesCursor, WorksitesLimit          string
}

// Queue is the team's queue: one page of applications and one of the
// worksites awaiting approval, longest waiting first, with their business
// days waiting and workflow IDs; for each, the count of every one the
// filters match and the next page's cursor ("" on the last).
type Queue struct {
	Applications []domain.QueuedApplication
	Worksites    []domain.WorksiteSummary
	Total        int64
	NextCursor   string
	// WorksitesTotal and WorksitesNextCursor page Worksites.
	WorksitesTotal      int64
	WorksitesNextCursor string
}

// worksitesCursorKeys is how many keys the worksite list's cursor has
// (registration time, ID: store.FindWorksites).
const worksitesCursorKeys = 2

// renameFields renames the fields of a field error (the worksites'
// paging is checked as any list's, under its own query names).
func renameFields(err error, names map[string]string) error {
	var de *domain.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return err
	}
	fe := domain.FieldErrors{}
	for k, v := range de.Fields {
		if n, ok := names[k]; ok {
			k = n
		}
		fe.Add(k, v)
	}
	return fe.Err()
}

// ApplicationQueue is the team's list of applications (and, unless a
// profession is asked for, the worksites awaiting approval) that q
// selects. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Service) ApplicationQueue(ctx context.Context, by Caller, q QueueQuery) (Queue, error) {
	if err := authorize(by, authz.TeamListApplications, authz.Resource{}); err != nil {
		return Queue{}, err
	}
	f, err := s.queueFilter(q)
	if err != nil {
		return Queue{}, err
	}
	lq, err := listQuery(ListRequest{Cursor: q.Cursor, Limit: q.Limit}, domain.QueueCursorKeys)
	if err != nil {
		return Queue{}, err
	}
	f.Cursor, f.Limit = lq.Cursor, lq.Limit
	wq, err := listQuery(ListRequest{Cursor: q.WorksitesCursor, Limit: q.WorksitesLimit}, worksitesCursorKeys)
	if err != nil {
		return Queue{}, renameFields(err, map[string]string{"cursor": "worksitesCursor", "limit": "worksitesLimit"})
	}
	page, err := s.store.PageApplications(ctx, f)
	if err != nil {
		return Queue{}, err
	}
	apps := page.Applications
	cal, now := s.cfg.Calendar.DomainCalendar(), s.now()
	s.fillQueued(apps, cal, now)
	out := Queue{Applications: apps, Total: page.Total, NextCursor: page.NextCursor}
	if f.Profession == "" { // worksites have no profession: a profession filter leaves only applications
		wp, err := s.store.FindWorksites(ctx, wq, domain.WorksiteFilter{State: string(domain.WorksiteAwaitingReview),
			LocationType: f.LocationType, Escalated: f.Escalated})
		if err != nil {
			return Queue{}, renameFields(err, map[string]string{"cursor": "worksitesCursor"})
		}
		worksites := wp.Worksites
		out.Worksites, out.WorksitesTotal, out.WorksitesNextCursor = worksites, wp.Total, wp.NextCursor
		for i := range worksites {
			w := &worksites[i]
			if w.WaitingSince != nil {
				w.BusinessDaysWaiting = cal.BusinessDaysBetween(*w.WaitingSince, now)
			}
			w.WorkflowID = workflows.WorksiteWorkflowID(w.ID)
		}
	}
	return out, nil
}

// fillQueued sets each application's business days waiting (at now) and workflow ID.
func (s *Service) fillQueued(apps []domain.QueuedApplication, cal domain.Calendar, now time.Time) {
	for i := range apps {
		r := &apps[i]
		if since := r.ReadySince; since != nil && r.State == domain.AppReady {
			r.BusinessDaysWaiting = cal.BusinessDaysBetween(*since, now)
		}
		r.WorkflowID = workflows.UserWorkflowID(r.Subject)
	}
}

// ExportApplications is every application ApplicationQueue's filters
// select (its cursor and page size ignored), in the queue's order, for a
// CSV export (at most domain.MaxExport). Errors: EUNAUTHORIZED,
// EFORBIDDEN, EINVALID.
func (s *Service) ExportApplications(ctx context.Context, by Caller, q QueueQuery) ([]domain.QueuedApplication, error) {
	if err := authorize(by, authz.TeamListApplications, authz.Resource{}); err != nil {
		return nil, err
	}
	f, err := s.queueFilter(q)
	if err != nil {
		return nil, err
	}
	f.Limit = domain.MaxPageSize
	out, err := exportPages(domain.QueueCursorKeys, func(c domain.Cursor) ([]domain.QueuedApplication, string, error) {
		f.Cursor = c
		page, err := s.store.PageApplications(ctx, f)
		return page.Applications, page.NextCursor, err
	})
	if err != nil {
		return nil, err
	}
	s.fillQueued(out, s.cfg.Calendar.DomainCalendar(), s.now())
	return out, nil
}

// queueFilter checks the queue's query.
func (s *Service) queueFilter(q QueueQuery) (domain.ApplicationFilter, error) {
	f := domain.ApplicationFilter{State: q.State, Profession: q.Profession, LocationType: q.WorksiteType}
	fe := domain.FieldErrors{}
	switch domain.ApplicationState(f.State) {
	case domain.AppWaiting, domain.AppReady, domain.AppProvisioned, domain.AppRejected, domain.AppSentBack,
		domain.AppLapsed, domain.AppEnded, domain.AppSuspended:
	default:
		fe.Add("state", "must be one of waiting, ready_for_provisioning, provisioned, rejected, sent_back, lapsed, ended, suspended")
	}
	if _, ok := s.professions[f.Profession]; f.Profession != "" && !ok {
		fe.Add("profession", "is not a profession of the policy table (see /api/v1/reference)")
	}
	if _, ok := s.types[domain.LocationType(f.LocationType)]; f.LocationType != "" && !ok {
		fe.Add("worksiteType", "is not a worksite type of the policy table (see /api/v1/reference)")
	}
	switch q.Overdue {
	case "", "false":
	case "true":
		f.Escalated = true
	default:
		fe.Add("overdue", "must be true or false")
	}
	return f, fe.Err()
}

// Funnel is the team's daily picture: how many enrolments wait at each
// step and on whom, at At.
type Funnel struct {
	Steps []domain.FunnelStep
	At    time.Time
}

// Funnel reads the projections' counts and places them on the process.
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) Funnel(ctx context.Context, by Caller) (Funnel, error) {
	if err := authorize(by, authz.TeamListApplications, authz.Resource{}); err != nil {
		return Funnel{}, err
	}
	counts, err := s.store.Funnel(ctx)
	if err != nil {
		return Funnel{}, err
	}
	return Funnel{Steps: domain.Funnel(counts), At: s.now().UTC()}, nil
}

// TeamReference authorizes a read of what only the team's console needs
// (the Temporal Web UI's address). Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) TeamReference(by Caller) error {
	return authorize(by, authz.TeamReadReference, authz.Resource{})
}

// UseCodec authorizes a call of the codec endpoint, which decrypts every
// enrolment's payloads for the Temporal Web UI: the team's only (the HTTP
// layer speaks the codec's protocol and logs each call). Errors:
// EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) UseCodec(by Caller) error {
	return authorize(by, authz.TeamUseCodec, authz.Resource{})
}

// Audit is the audit trail of a subject ("worksite:<ID>", "person:<subject>").
type Audit struct {
	Subject string
	Events  []domain.AuditEvent
}

// WorksiteAudit is a worksite's audit trail, for the team. Errors:
// EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) WorksiteAudit(ctx context.Context, by Caller, id string) (Audit, error) {
	w, err := s.teamWorksite(ctx, by, id, authz.TeamReadWorksite)
	if err != nil {
		return Audit{}, err
	}
	events, err := s.store.ListAudit(ctx, "worksite:"+w.ID)
	return Audit{Subject: "worksite:" + w.ID, Events: events}, err
}

// WorksiteEmails is the log of a worksite's emails, for the team. Errors:
// EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) WorksiteEmails(ctx context.Context, by Caller, id string) ([]domain.EmailRecord, error) {
	w, err := s.teamWorksite(ctx, by, id, authz.TeamReadWorksite)
	if err != nil {
		return nil, err
	}
	return s.store.ListEmails(ctx, "worksite/"+w.ID+"/")
}

// Person is the team's view of a person: status, account (nil without
// one) and audit timeline.
type Person struct {
	Status  domain.UserStatus
	Account *domain.Account
	Audit   []domain.AuditEvent
}

// errNoPerson answers for a subject who never signed in.
var errNoPerson = domain.Errorf(domain.ENOTFOUND, "no person with that subject has signed in")

// StaffPerson is the team's view of person subject. Errors: EUNAUTHORIZED,
// EFORBIDDEN, ENOTFOUND.
func (s *Service) StaffPerson(ctx context.Context, by Caller, subject string) (Person, error) {
	if err := authorize(by, authz.TeamReadPerson, authz.Resource{}); err != nil {
		return Person{}, err
	}
	st, err := s.store.GetUserStatus(ctx, subject)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			err = errNoPerson
		}
		return Person{}, err
	}
	if live, err := s.userStatus(ctx, subject); err == nil {
		st = live
	}
	if err := s.completeStatus(ctx, subject, &st); err != nil {
		return Person{}, err
	}
	out := Person{Status: st}
	if acct, err := s.store.GetAccount(ctx, subject); err == nil {
		out.Account = &acct
	} else if domain.ErrorCode(err) != domain.ENOTFOUND {
		return Person{}, err
	}
	if out.Audit, err = s.store.ListAudit(ctx, "person:"+subject); err != nil {
		return Person{}, err
	}
	return out, nil
}

// ProfessionInput is the team's correction of a person's profession, with
// the profession's IDs and the reason.
type ProfessionInput struct {
	Profession    string            `json:"profession"`
	ProfessionIDs map[string]string `json:"professionIds"`
	Reason        string            `json:"reason"`
}

// ChangeProfession is the team's profession correction (the input is a
// ProfessionInput), recorded with who and why. Errors: EUNAUTHORIZED,
// EFORBIDDEN, EINVALID, ENOTFOUND (no account), ECONFLICT (the profession
// already), EUNAVAILABLE (nothing changed), *domain.Accepted (it will).
// The person's workflow stores the change (ProfessionWrite).
func (s *Service) ChangeProfession(ctx context.Context, by Caller, subject string, in Input) (domain.UserStatus, error) {
	if err := authorize(by, authz.TeamChangeProfession, authz.Resource{}); err != nil {
		return domain.UserStatus{}, err
	}
	var req ProfessionInput
	if err := in(&req); err != nil {
		return domain.UserStatus{}, err
	}
	ids, err := domain.ValidateProfessionChange(req.Profession, req.ProfessionIDs, req.Reason, s.professions)
	if err != nil {
		return domain.UserStatus{}, err
	}
	acct, err := s.store.GetAccount(ctx, subject)
	if err != nil {
		return domain.UserStatus{}, err
	}
	if acct.Profession == req.Profession {
		return domain.UserStatus{}, domain.Errorf(domain.ECONFLICT, "the profession is already %s", req.Profession)
	}
	audit := s.audit(by, "person:"+subject, "profession changed", acct.Profession+" -> "+req.Profession+": "+strings.TrimSpace(req.Reason))
	audit.Key = "person/" + subject + "/audit/profession/" + by.RequestID
	notAfter := s.notAfter()
	return s.userWrite(ctx, by, subject, workflows.UpdateProfessionChanged, workflows.ProfessionChanged{From: acct.Profession,
		To: req.Profession, Policy: s.professions[req.Profession], Actor: by.Principal.Subject, Reason: strings.TrimSpace(req.Reason), RequestID: by.RequestID,
		NotAfter: notAfter, Write: &domain.Write{Key: "profession/" + by.RequestID, Profession: &domain.ProfessionWrite{
			Subject: subject, Profession: req.Profession, ProfessionIDs: ids, Audit: audit}}}, notAfter, "/api/v1/staff/people/"+subject)
}

// SuspendPerson is the team's suspension (suspend) or reinstatement of a
// person's CareConnect access at every worksite, with the reason (a
// ReasonRequest); the workflow audits it with the caller and suspends or
// restores provisioned access. Errors: EUNAUTHORIZED, EFORBIDDEN,
// EINVALID, ENOTFOUND, ECONFLICT (already so).
func (s *Service) SuspendPerson(ctx context.Context, by Caller, subject string, suspend bool, in Input) (domain.UserStatus, error) {
	update := workflows.UpdateReinstateAccess
	if suspend {
		update = workflows.UpdateSuspendAccess
	}
	if err := authorize(by, authz.TeamSuspendPerson, authz.Resource{}); err != nil {
		return domain.UserStatus{}, err
	}
	var req ReasonRequest
	if err := in(&req); err != nil {
		return domain.UserStatus{}, err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if err := requiredReason(req.Reason); err != nil {
		return domain.UserStatus{}, err
	}
	st, err := s.userUpdate(ctx, by, subject, update,
		workflows.AccessDecision{Actor: by.Principal.Subject, Reason: req.Reason, RequestID: by.RequestID})
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		err = errNoPerson
	}
	return st, err
}

// RevokeSessions is the team's "sign this person out everywhere": every
// browser session of subject ends at once, recorded with who, why (the
// input is a ReasonRequest) and how many; it says how many ended. Bearer
// ID tokens carry no session; they lapse at their expiry. Errors:
// EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Service) RevokeSessions(ctx context.Context, by Caller, subject string, in Input) (int64, error) {
	if err := authorize(by, authz.TeamRevokeSessions, authz.Resource{}); err != nil {
		return 0, err
	}
	var req ReasonRequest
	if err := in(&req); err != nil {
		return 0, err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if err := requiredReason(req.Reason); err != nil {
		return 0, err
	}
	n, err := s.store.RevokeSessions(ctx, subject, func(ended int64) domain.AuditEvent {
		return s.audit(by, "person:"+subject, "sessions revoked", fmt.Sprintf("%d sessions ended: %s", ended, req.Reason))
	})
	if err != nil {
		return 0, err
	}
	s.log.Info("sessions revoked", "request_id", by.RequestID, "subject", subject, "by", by.Principal.Subject, "ended", n)
	return n, nil
}
