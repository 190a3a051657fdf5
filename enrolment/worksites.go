package enrolment

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"careconnect/authz"
	"careconnect/domain"
	"careconnect/workflows"
)

// RegisterWorksite registers a worksite, whose first site administrator is
// the caller. The input is a domain.WorksiteRegistration. It mints the
// worksite's ID and starts its workflow with the register update
// (update-with-start): the workflow stores the worksite, so no row exists
// without its workflow. Errors: EUNAUTHORIZED, EFORBIDDEN (no account),
// EINVALID, ECONFLICT (the address and unit are registered), EUNAVAILABLE
// (nothing was registered), *domain.Accepted (it will be).
func (s *Service) RegisterWorksite(ctx context.Context, by Caller, in Input) (domain.Worksite, error) {
	acct, err := s.account(ctx, by, authz.RegisterWorksite)
	if err != nil {
		return domain.Worksite{}, err
	}
	var req domain.WorksiteRegistration
	if err := in(&req); err != nil {
		return domain.Worksite{}, err
	}
	// The registrant becomes the first site administrator.
	req.Administrator = domain.Person{Name: acct.DisplayName(), Email: acct.Email, Subject: acct.Subject}
	reg, err := domain.ValidateWorksiteRegistration(req, s.types, s.cfg.Policy.EMRVendors)
	if err != nil {
		return domain.Worksite{}, err
	}
	p := by.Principal
	now := s.now().UTC()
	id, err := domain.NewWorksiteID(nil)
	if err != nil {
		return domain.Worksite{}, err
	}
	notAfter := s.notAfter()
	start := workflows.WorksiteInput{WorksiteID: id, TypePolicy: s.types[reg.LocationType], RegisteredAt: now,
		Schedule: s.cfg.Schedule.DomainSchedule(), Calendar: s.cfg.Calendar.DomainCalendar(), Registrant: s.asMember(acct),
		RegisterBy: notAfter.Add(registerGrace)}
	arg := workflows.RegisterWorksite{NotAfter: notAfter, RequestID: by.RequestID, Write: domain.Write{Key: "worksite/" + id,
		Worksite: &domain.WorksiteWrite{ID: id, Registration: reg, RegisteredAt: now, Audit: domain.AuditEvent{
			Key: "worksite/" + id + "/audit/registered", At: now, Actor: p.Subject, Role: string(p.Role),
			Action: "worksite registered", RequestID: by.RequestID}}}}
	w := domain.Worksite{ID: id, Name: reg.Name, Phone: reg.Phone, Extension: reg.Extension, Email: reg.Email, Address: reg.Address,
		LocationType: reg.LocationType, SubOption: reg.SubOption, OtherDescription: reg.OtherDescription, EMR: reg.EMR,
		Administrator: reg.Administrator, RegisteredAt: now}
	var st domain.WorksiteStatus
	err = s.write(ctx, WriteCall{WorkflowID: workflows.WorksiteWorkflowID(id), WorkflowType: workflows.WorksiteWorkflowName,
		Input: start, UpdateID: updateID(by, workflows.UpdateRegister), Name: workflows.UpdateRegister, Arg: arg, Out: &st,
		NotAfter: notAfter}, "/api/v1/worksites/"+id)
	var acc *domain.Accepted
	if errors.As(err, &acc) {
		return w, err
	}
	if err != nil {
		return domain.Worksite{}, err
	}
	return w, nil
}

// registerGrace is how long past a registration's NotAfter its workflow
// waits for the register update that should have come with its start.
const registerGrace = 5 * time.Second

// WorksiteWithStatus is a worksite and its status.
type WorksiteWithStatus struct {
	Worksite domain.Worksite
	// StatusJSON is the status as the workflow projected it, passed on
	// undecoded; nil when it was not projected yet, and then Status is
	// the workflow's.
	StatusJSON json.RawMessage
	Status     domain.WorksiteStatus
	// Source says where the status came from: "projection" or "workflow".
	Source string
}

// GetWorksite returns a worksite and its status from the projection, which
// the workflow writes before each of its updates returns; a worksite whose
// workflow has not yet projected (just registered) is asked of the
// workflow. The administrators it is authorized by come from the
// projection too. Errors: EUNAUTHORIZED, ENOTFOUND (also for someone
// else's worksite), EUNAVAILABLE.
func (s *Service) GetWorksite(ctx context.Context, by Caller, id string) (WorksiteWithStatus, error) {
	if err := signedIn(by); err != nil {
		return WorksiteWithStatus{}, err
	}
	id, err := worksiteID(id)
	var r domain.WorksiteRead
	if err == nil {
		r, err = s.store.ReadWorksite(ctx, id)
		err = notFoundOrNotYours(err)
	}
	if err == nil {
		err = authorize(by, authz.ReadWorksite, authz.Resource{Admins: r.Admins})
	}
	if err != nil {
		return WorksiteWithStatus{}, err
	}
	if r.StatusSeq > 0 {
		return WorksiteWithStatus{Worksite: r.Worksite, StatusJSON: r.StatusJSON, Source: "projection"}, nil
	}
	st, source, err := s.worksiteStatus(ctx, id)
	if err != nil {
		return WorksiteWithStatus{}, err
	}
	return WorksiteWithStatus{Worksite: r.Worksite, Status: st, Source: source}, nil
}

// statusQueryTimeout bounds a status query before the projection answers.
const statusQueryTimeout = 5 * time.Second

// worksiteStatus asks the workflow for a worksite's status, or the
// projection when the workflow does not answer, and says which answered.
func (s *Service) worksiteStatus(ctx context.Context, id string) (domain.WorksiteStatus, string, error) {
	var st domain.WorksiteStatus
	// A query on a finished workflow replays it on a worker; when that is
	// slow, the projection (which holds the final status) answers instead.
	qctx, cancel := context.WithTimeout(ctx, statusQueryTimeout)
	defer cancel()
	err := s.wf.Query(qctx, workflows.WorksiteWorkflowID(id), workflows.QueryStatus, &st)
	if err == nil {
		return st, "workflow", nil
	}
	s.log.Warn("worksite status query failed; using projection", "worksite", id, "error", err)
	st, err = s.store.GetWorksiteStatus(ctx, id)
	return st, "projection", err
}

// ListWorksites is the team's list of worksites from the projection, by
// state and waiting party ("" for any). Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) ListWorksites(ctx context.Context, by Caller, state, waitingOn string) ([]domain.WorksiteSummary, error) {
	if err := authorize(by, authz.TeamListWorksites, authz.Resource{}); err != nil {
		return nil, err
	}
	return s.store.ListWorksites(ctx, domain.WorksiteFilter{State: state, WaitingOn: waitingOn})
}

// SearchWorksites finds worksites by address prefix as the person types;
// limit is the query's ("" for 10). Errors: EUNAUTHORIZED, EINVALID
// (fields "address", "limit").
func (s *Service) SearchWorksites(ctx context.Context, by Caller, address, limit string) ([]domain.WorksiteHit, error) {
	if err := authorize(by, authz.SearchWorksites, authz.Resource{}); err != nil {
		return nil, err
	}
	n := 10
	if limit != "" {
		var err error
		if n, err = strconv.Atoi(limit); err != nil {
			return nil, (domain.FieldErrors{"limit": "must be a whole number from 1 to 50"}).Err()
		}
	}
	return s.store.SearchWorksites(ctx, address, n)
}

// MyWorksites lists the caller's memberships. Errors: EUNAUTHORIZED.
func (s *Service) MyWorksites(ctx context.Context, by Caller) ([]domain.MemberWorksite, error) {
	if err := authorize(by, authz.ReadOwnWorksites, authz.Resource{}); err != nil {
		return nil, err
	}
	return s.store.MemberWorksites(ctx, by.Principal.Subject)
}

// DecisionRequest is the input of a team decision on a worksite; the
// deciding team member is the caller.
type DecisionRequest struct {
	Reason string `json:"reason"`
}

// DecideWorksite is the team's approval (approve) or rejection of a
// worksite, with a reason (required to reject). The input is a
// DecisionRequest. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ENOTFOUND,
// ECONFLICT (decided already), EUNPROCESSABLE (not awaiting review).
func (s *Service) DecideWorksite(ctx context.Context, by Caller, id string, approve bool, in Input) (domain.WorksiteStatus, error) {
	if err := authorize(by, authz.TeamDecideWorksite, authz.Resource{}); err != nil {
		return domain.WorksiteStatus{}, err
	}
	var req DecisionRequest
	if err := in(&req); err != nil {
		return domain.WorksiteStatus{}, err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	var err error
	if !approve {
		err = domain.RequireReason(req.Reason, " when rejecting")
	}
	if err == nil {
		err = domain.LimitReason(req.Reason)
	}
	if err != nil {
		return domain.WorksiteStatus{}, err
	}
	w, err := s.lookupWorksite(ctx, id)
	if err != nil {
		return domain.WorksiteStatus{}, err
	}
	var st domain.WorksiteStatus
	d := workflows.Decision{Approve: approve, Reason: req.Reason, Actor: by.Principal.Subject, RequestID: by.RequestID,
		NotAfter: s.notAfter()}
	err = s.worksiteUpdate(ctx, by, w.ID, workflows.UpdateDecide, d, &st, func(st domain.WorksiteStatus) error {
		return domain.CanDecideWorksite(st.State, s.types[w.LocationType], approve, req.Reason)
	})
	return st, err
}

// WorksiteEdit is an administrator's edit of a worksite's details; absent
// fields stay.
type WorksiteEdit struct {
	Name      *string `json:"name"`
	Phone     *string `json:"phone"`
	Extension *string `json:"extension"`
	Email     *string `json:"email"`
	EMR       *string `json:"emr"`
}

// EditWorksite changes the details an administrator may edit (the input
// is a WorksiteEdit), then tells the workflow, which audits and emails
// the change. Errors: EUNAUTHORIZED, ENOTFOUND (also for a worksite the
// caller does not administer), EFORBIDDEN, EINVALID, EUNPROCESSABLE (the
// enrolment has ended), EUNAVAILABLE.
func (s *Service) EditWorksite(ctx context.Context, by Caller, id string, in Input) (domain.Worksite, error) {
	w, err := s.worksiteFor(ctx, by, id, authz.ManageWorksite)
	if err != nil {
		return domain.Worksite{}, err
	}
	var req WorksiteEdit
	if err := in(&req); err != nil {
		return domain.Worksite{}, err
	}
	d, changed, err := s.validateEdit(req)
	if err == nil {
		err = s.notEnded(ctx, w.ID)
	}
	if err != nil {
		return domain.Worksite{}, err
	}
	p := by.Principal
	audit := s.audit(by, "worksite:"+w.ID, "worksite details edited", changed)
	audit.Key = "worksite/" + w.ID + "/audit/details/" + by.RequestID
	notAfter := s.notAfter()
	var st domain.WorksiteStatus
	err = s.worksiteWrite(ctx, by, w.ID, workflows.WorksiteChange{Actor: p.Subject, ActorRole: p.Role,
		Change: "details edited: " + changed, RequestID: by.RequestID, NotAfter: notAfter,
		Write: &domain.Write{Key: "details/" + by.RequestID, WorksiteDetails: &domain.WorksiteDetailsWrite{WorksiteID: w.ID,
			Details: d, Audit: audit}}}, &st)
	if err != nil {
		return domain.Worksite{}, err
	}
	return applyDetails(w, d), nil
}

// applyDetails is w with the details d changes.
func applyDetails(w domain.Worksite, d domain.WorksiteDetails) domain.Worksite {
	for _, f := range []struct {
		to   *string
		from *string
	}{{&w.Name, d.Name}, {&w.Phone, d.Phone}, {&w.Extension, d.Extension}, {&w.Email, d.Email}, {&w.EMR, d.EMR}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	return w
}

// worksiteWrite sends a worksite-changed update that carries a write
// (and its NotAfter: worksiteUpdate sends it as a write).
func (s *Service) worksiteWrite(ctx context.Context, by Caller, id string, c workflows.WorksiteChange, out any) error {
	return s.worksiteUpdate(ctx, by, id, workflows.UpdateWorksiteChanged, c, out)
}

// validateEdit checks an edit and says which details it changes.
func (s *Service) validateEdit(req WorksiteEdit) (domain.WorksiteDetails, string, error) {
	fe := domain.FieldErrors{}
	var d domain.WorksiteDetails
	var changed []string
	if req.Name != nil {
		v := strings.TrimSpace(*req.Name)
		if v == "" || len(v) > 120 {
			fe.Add("name", "must be 1 to 120 characters")
		} else if err := domain.ValidName(v); err != nil {
			fe.Add("name", err.Error())
		}
		d.Name, changed = &v, append(changed, "name")
	}
	if req.Phone != nil {
		if v, ok := domain.NormalisePhone(*req.Phone); !ok {
			fe.Add("phone", "must be a 10-digit North American phone number")
		} else {
			d.Phone, changed = &v, append(changed, "phone")
		}
	}
	if req.Extension != nil {
		v := strings.TrimSpace(*req.Extension)
		if len(v) > 7 || strings.Trim(v, "0123456789") != "" {
			fe.Add("extension", "must be up to 7 digits")
		}
		d.Extension, changed = &v, append(changed, "extension")
	}
	if req.Email != nil {
		v := strings.TrimSpace(*req.Email)
		if !domain.ValidEmail(v) {
			fe.Add("email", "must be an email address")
		}
		d.Email, changed = &v, append(changed, "email")
	}
	if req.EMR != nil {
		found := false
		for _, e := range s.cfg.Policy.EMRVendors {
			if strings.EqualFold(e.Name, strings.TrimSpace(*req.EMR)) {
				v := e.Name
				d.EMR, found = &v, true
			}
		}
		if !found {
			fe.Add("emr", "is not on the EMR vendor list")
		}
		changed = append(changed, "EMR")
	}
	if err := fe.Err(); err != nil { // a field was given but is wrong: say which
		return d, "", err
	}
	if len(changed) == 0 {
		return d, "", domain.Errorf(domain.EINVALID, "send at least one of name, phone, extension, email, emr")
	}
	return d, strings.Join(changed, ", "), nil
}

// notEnded refuses changes to a worksite whose enrolment has ended (closed,
// lapsed, rejected) before anything is sent. It reads the projection, not
// the workflow: an ended state is projected before the update that ended
// it returns, the workflow's validator refuses the rest, and a query would
// spend the caller's time budget when the worker is down.
func (s *Service) notEnded(ctx context.Context, id string) error {
	st, err := s.store.GetWorksiteStatus(ctx, id)
	if err != nil {
		return err
	}
	if st.State.Ended() {
		return domain.Errorf(domain.EUNPROCESSABLE, "this worksite is %s; it can no longer change", st.State)
	}
	return nil
}

// ReasonRequest is the input of a change that gives a reason.
type ReasonRequest struct {
	Reason string `json:"reason"`
}

// CloseWorksite closes a worksite: every membership ends. The input is a
// ReasonRequest: optional for the worksite's own administrator, required
// of the enrolment team, whose closing is a decision about someone else's
// worksite, recorded and emailed to its members with the reason. Errors:
// EUNAUTHORIZED, ENOTFOUND, EFORBIDDEN, EINVALID, the workflow's refusals.
func (s *Service) CloseWorksite(ctx context.Context, by Caller, id string, in Input) (domain.WorksiteStatus, error) {
	w, err := s.worksiteFor(ctx, by, id, authz.CloseWorksite)
	if err != nil {
		return domain.WorksiteStatus{}, err
	}
	return s.worksiteChange(ctx, by, w.ID, workflows.UpdateClose, by.Principal.Role == domain.RoleTeam, in)
}

// SuspendWorksite is the team's suspension (suspend) or reinstatement of
// a worksite, with a reason (a ReasonRequest). Errors: EUNAUTHORIZED,
// EFORBIDDEN, ENOTFOUND, EINVALID, ECONFLICT (already so).
func (s *Service) SuspendWorksite(ctx context.Context, by Caller, id string, suspend bool, in Input) (domain.WorksiteStatus, error) {
	w, err := s.teamWorksite(ctx, by, id, authz.TeamSuspendWorksite)
	if err != nil {
		return domain.WorksiteStatus{}, err
	}
	update := workflows.UpdateReinstate
	if suspend {
		update = workflows.UpdateSuspend
	}
	return s.worksiteChange(ctx, by, w.ID, update, true, in)
}

// worksiteChange reads a ReasonRequest and sends a worksite-level update.
func (s *Service) worksiteChange(ctx context.Context, by Caller, worksiteID, update string, reasonRequired bool, in Input) (domain.WorksiteStatus, error) {
	var req ReasonRequest
	if err := in(&req); err != nil {
		return domain.WorksiteStatus{}, err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if reasonRequired {
		if err := requiredReason(req.Reason); err != nil {
			return domain.WorksiteStatus{}, err
		}
	}
	p := by.Principal
	var st domain.WorksiteStatus
	err := s.worksiteUpdate(ctx, by, worksiteID, update, workflows.WorksiteChange{Actor: p.Subject, ActorRole: p.Role,
		Reason: req.Reason, RequestID: by.RequestID, NotAfter: s.notAfter()}, &st)
	return st, err
}

// requiredReason checks a trimmed reason the caller must give.
func requiredReason(reason string) error {
	if err := domain.RequireReason(reason, ": say why"); err != nil {
		return err
	}
	return domain.LimitReason(reason)
}

// Classification is the team's change of a worksite's address and/or
// type, with the reason; absent fields stay.
type Classification struct {
	Address          *domain.Address      `json:"address"`
	LocationType     *domain.LocationType `json:"locationType"`
	SubOption        *string              `json:"subOption"`
	OtherDescription *string              `json:"otherDescription"`
	Reason           string               `json:"reason"`
}

// Classified is a reclassified worksite and its status.
type Classified struct {
	Worksite domain.Worksite
	Status   domain.WorksiteStatus
}

// ClassifyWorksite is the team's change of address and/or type (the input
// is a Classification), e.g. reclassifying an "Other" worksite: the
// worksite as it would be must pass the registration rules. Errors:
// EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EINVALID, ECONFLICT (the address
// is another worksite's), EUNPROCESSABLE (the enrolment has ended).
func (s *Service) ClassifyWorksite(ctx context.Context, by Caller, id string, in Input) (Classified, error) {
	cur, err := s.teamWorksite(ctx, by, id, authz.TeamClassifyWorksite)
	if err != nil {
		return Classified{}, err
	}
	id = cur.ID
	var req Classification
	if err := in(&req); err != nil {
		return Classified{}, err
	}
	w, err := s.store.GetWorksite(ctx, id)
	if err != nil {
		return Classified{}, err
	}
	// Validate the worksite as it would be, with the registration rules.
	reg := domain.WorksiteRegistration{Name: w.Name, Phone: w.Phone, Extension: w.Extension, Email: w.Email, Address: w.Address,
		LocationType: w.LocationType, SubOption: w.SubOption, OtherDescription: w.OtherDescription, EMR: w.EMR}
	if req.Address != nil {
		reg.Address = *req.Address
	}
	if req.LocationType != nil {
		reg.LocationType, reg.SubOption, reg.OtherDescription = *req.LocationType, "", ""
	}
	if req.SubOption != nil {
		reg.SubOption = *req.SubOption
	}
	if req.OtherDescription != nil {
		reg.OtherDescription = *req.OtherDescription
	}
	fe := domain.FieldErrors{}
	fe.Merge(domain.RequireReason(strings.TrimSpace(req.Reason), ": say why the worksite is changed"))
	if req.Address == nil && req.LocationType == nil {
		fe.Add("locationType", "send a new address, a new location type, or both")
	}
	reg.Administrator = domain.Person{Name: "x", Email: "x@example.ca"} // not part of this change
	norm, err := domain.ValidateWorksiteRegistration(reg, s.types, s.cfg.Policy.EMRVendors)
	fe.Merge(err)
	if err := fe.Err(); err != nil {
		return Classified{}, err
	}
	if err := s.notEnded(ctx, id); err != nil {
		return Classified{}, err
	}
	var addr *domain.Address
	if req.Address != nil {
		addr = &norm.Address
	}
	var lt *domain.LocationType
	if req.LocationType != nil {
		lt = &norm.LocationType
	}
	change := "reclassified"
	if addr != nil {
		change = "address changed to " + norm.Address.String()
	}
	if lt != nil {
		change = "type changed to " + s.types[norm.LocationType].Label
	}
	audit := s.audit(by, "worksite:"+id, "worksite reclassified", change+": "+req.Reason)
	audit.Key = "worksite/" + id + "/audit/classified/" + by.RequestID
	p := by.Principal
	wc := workflows.WorksiteChange{Actor: p.Subject, ActorRole: p.Role, Change: change, Reason: req.Reason, RequestID: by.RequestID,
		NotAfter: s.notAfter(), Write: &domain.Write{Key: "classification/" + by.RequestID, Classification: &domain.ClassificationWrite{
			WorksiteID: id, Address: addr, LocationType: lt, SubOption: &norm.SubOption, OtherDescription: &norm.OtherDescription,
			Audit: audit}}}
	if lt != nil {
		policy := s.types[*lt]
		wc.TypePolicy = &policy
	}
	var st domain.WorksiteStatus
	if err := s.worksiteWrite(ctx, by, id, wc, &st); err != nil {
		return Classified{}, err
	}
	if addr != nil {
		w.Address = *addr
	}
	if lt != nil {
		w.LocationType = *lt
	}
	w.SubOption, w.OtherDescription = norm.SubOption, norm.OtherDescription
	return Classified{Worksite: w, Status: st}, nil
}

// worksiteUpdate runs a worksite workflow update and decodes its result into
// out; the update ID is scoped by caller and request. An argument that
// carries its NotAfter (workflows.Bounded: each write update) is sent as a
// write (Workflows.Write): 503 only when it was not accepted by then (its
// validator refuses it after: nothing happens), *domain.Accepted (202)
// when accepted but not finished in time. A finished workflow (closed,
// lapsed, rejected) takes no updates: the caller hears why, not "not
// found" — closed, when given, judges the request against the final
// status (e.g. "already decided", 409); otherwise the answer is 422.
func (s *Service) worksiteUpdate(ctx context.Context, by Caller, worksiteID, name string, arg, out any, closed ...func(domain.WorksiteStatus) error) error {
	var err error
	if b, ok := arg.(workflows.Bounded); ok && !b.Deadline().IsZero() {
		err = s.write(ctx, WriteCall{WorkflowID: workflows.WorksiteWorkflowID(worksiteID), UpdateID: updateID(by, name), Name: name,
			Arg: arg, Out: out, NotAfter: b.Deadline()}, "/api/v1/worksites/"+worksiteID)
	} else {
		err = s.wf.Update(ctx, workflows.WorksiteWorkflowID(worksiteID), updateID(by, name), name, arg, out)
	}
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrNoWorkflow) {
		return err // includes a validator's own "not found"
	}
	final, _, serr := s.worksiteStatus(ctx, worksiteID)
	if serr != nil {
		return serr
	}
	for _, judge := range closed {
		if cerr := judge(final); cerr != nil {
			return cerr
		}
	}
	return domain.Errorf(domain.EUNPROCESSABLE, "this worksite is %s; it can no longer change", final.State)
}

// teamWorksite authorizes a team action, then reads the worksite (so
// 401/403 come before 404). Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) teamWorksite(ctx context.Context, by Caller, id string, a authz.Action) (domain.Worksite, error) {
	if err := authorize(by, a, authz.Resource{}); err != nil {
		return domain.Worksite{}, err
	}
	return s.lookupWorksite(ctx, id)
}

// lookupWorksite loads worksite id (as the caller wrote it). Errors: ENOTFOUND.
func (s *Service) lookupWorksite(ctx context.Context, id string) (domain.Worksite, error) {
	id, err := worksiteID(id)
	if err != nil {
		return domain.Worksite{}, err
	}
	w, err := s.store.GetWorksite(ctx, id)
	return w, notFoundOrNotYours(err)
}

// worksiteID is a worksite ID as a caller wrote it, upper-cased; a
// malformed one is not found, like any worksite that is not the caller's.
func worksiteID(id string) (string, error) {
	id = strings.ToUpper(id)
	if !domain.ValidWorksiteID(id) {
		return "", domain.Errorf(domain.ENOTFOUND, domain.NotFoundOrNotYours)
	}
	return id, nil
}

// notFoundOrNotYours gives a missing worksite the same answer as someone
// else's (authz), so IDs cannot be probed.
func notFoundOrNotYours(err error) error {
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return domain.Errorf(domain.ENOTFOUND, domain.NotFoundOrNotYours)
	}
	return err
}

// WorksitePreview is what a person asking to join by worksite ID sees of
// the worksite before the request is sent: enough to know it is theirs.
type WorksitePreview struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	AddressLine string `json:"addressLine"`
}

// PreviewWorksite shows the name and address of the live worksite id to
// a person about to ask to join it by ID (DOMAIN: "its name and address
// are shown before the request is sent"). A worksite that has ended
// (rejected, lapsed, closed) cannot be joined, so it is not found either,
// and the answer says plainly that no worksite can be joined with that ID.
// Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Service) PreviewWorksite(ctx context.Context, by Caller, id string) (WorksitePreview, error) {
	if err := authorize(by, authz.SearchWorksites, authz.Resource{}); err != nil {
		return WorksitePreview{}, err
	}
	id = strings.ToUpper(strings.TrimSpace(id))
	unknown := domain.Errorf(domain.ENOTFOUND, "no worksite you can join has the ID %s; check it with the worksite's site administrator, or search by address", id)
	if !domain.ValidWorksiteID(id) {
		return WorksitePreview{}, domain.Errorf(domain.ENOTFOUND, "a worksite ID is 7 letters and digits, such as K4T6CLP")
	}
	w, err := s.store.GetWorksite(ctx, id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return WorksitePreview{}, unknown
	}
	if err != nil {
		return WorksitePreview{}, err
	}
	st, err := s.store.GetWorksiteStatus(ctx, id)
	if err != nil {
		return WorksitePreview{}, notFoundAs(err, unknown)
	}
	if st.State.Ended() {
		return WorksitePreview{}, unknown
	}
	return WorksitePreview{ID: w.ID, Name: w.Name, AddressLine: w.Address.String()}, nil
}

// notFoundAs is nf when err is ENOTFOUND, else err.
func notFoundAs(err, nf error) error {
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nf
	}
	return err
}

// DeclarationView is a worksite's signed declaration as the team reads it,
// without the screenshot's bytes (served on their own, DeclarationScreenshot).
type DeclarationView struct {
	SignerName  string `json:"signerName"`
	SignerTitle string `json:"signerTitle"`
	SignerEmail string `json:"signerEmail,omitempty"`
	// Attestations are the statements the signer accepted, with their
	// words where the configured declaration still has them.
	Attestations   []domain.Attestation `json:"attestations"`
	SignedAt       time.Time            `json:"signedAt"`
	ScreenshotType string               `json:"screenshotType"`
	ScreenshotSHA  string               `json:"screenshotSha256"`
}

// WorksiteDeclaration is a worksite's signed declaration, for the team:
// signer, title, attestations and when it was signed. Errors:
// EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND (no such worksite, or not signed yet).
func (s *Service) WorksiteDeclaration(ctx context.Context, by Caller, id string) (DeclarationView, error) {
	w, err := s.teamWorksite(ctx, by, id, authz.TeamReadWorksite)
	if err != nil {
		return DeclarationView{}, err
	}
	d, err := s.store.GetDeclaration(ctx, w.ID)
	if err != nil {
		return DeclarationView{}, err
	}
	texts := map[string]string{}
	for _, a := range s.cfg.Policy.Attestations {
		texts[a.ID] = a.Text
	}
	atts := make([]domain.Attestation, 0, len(d.Attestation))
	for _, id := range d.Attestation {
		atts = append(atts, domain.Attestation{ID: id, Text: texts[id]})
	}
	return DeclarationView{SignerName: d.SignerName, SignerTitle: d.SignerTitle, SignerEmail: d.SignerEmail,
		Attestations: atts, SignedAt: d.SignedAt.UTC(), ScreenshotType: d.ScreenshotType, ScreenshotSHA: d.ScreenshotSHA}, nil
}
