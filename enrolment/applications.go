package enrolment

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"careconnect/authz"
	"careconnect/domain"
	"careconnect/workflows"
)

// ApplicationInput is an application for access at a worksite: the
// worksite and the answers to the questionnaire.
type ApplicationInput struct {
	WorksiteID string          `json:"worksiteId"`
	Answers    map[string]bool `json:"answers"`
}

// SubmitApplication applies for CareConnect access at a worksite (the
// input is an ApplicationInput) and returns the caller's applications.
// Clinic details are prefilled from the worksite; the person's workflow
// judges the application against the live facts and tracks its
// conditions. Errors: EUNAUTHORIZED, EFORBIDDEN (no account), EINVALID,
// ENOTFOUND, EUNPROCESSABLE (no access for this profession or worksite),
// ECONFLICT.
func (s *Service) SubmitApplication(ctx context.Context, by Caller, in Input) ([]domain.Application, error) {
	acct, err := s.account(ctx, by, authz.SubmitApplication)
	if err != nil {
		return nil, err
	}
	var req ApplicationInput
	if err := in(&req); err != nil {
		return nil, err
	}
	id := strings.ToUpper(strings.TrimSpace(req.WorksiteID))
	if !domain.ValidWorksiteID(id) {
		return nil, (domain.FieldErrors{"worksiteId": "must be a 7-character worksite ID"}).Err()
	}
	facts, err := s.applicationFacts(ctx, id, acct.Subject)
	if err != nil {
		return nil, err
	}
	mine, err := s.readUserStatus(ctx, acct.Subject)
	if err != nil {
		return nil, err
	}
	var us domain.UserStatus
	if err := s.userUpdateInto(ctx, by, acct.Subject, workflows.UpdateSubmitApplication, workflows.SubmitApplication{
		Worksite: facts, Profession: s.professions[acct.Profession], Questions: s.cfg.Policy.Questions, Answers: req.Answers,
		ProvisionedPhysical: provisionedAtPhysicalWorksite(mine, s.types), RequestID: by.RequestID}, &us); err != nil {
		return nil, err
	}
	return us.Applications, nil
}

// provisionedAtPhysicalWorksite: home office access needs access at a real worksite first.
func provisionedAtPhysicalWorksite(st domain.UserStatus, types domain.WorksiteTypes) bool {
	for _, a := range st.Applications {
		if a.State == domain.AppProvisioned && types[a.Worksite.Type.Type].Access == domain.AccessYes {
			return true
		}
	}
	return false
}

// applicationFacts is what an application is judged with about worksite id
// and the applicant: the worksite, its state and suspension, and whether
// the applicant is an active member. They come from the projections, read
// with the worksite in one query; the worksite workflow writes them before
// each of its updates returns. A worksite not yet projected (registered a
// moment ago) is asked of the workflow. Errors: ENOTFOUND.
func (s *Service) applicationFacts(ctx context.Context, id, subject string) (domain.WorksiteFacts, error) {
	r, err := s.store.ReadWorksite(ctx, id)
	if err != nil {
		return domain.WorksiteFacts{}, notFoundOrNotYours(err)
	}
	w := r.Worksite
	facts := domain.WorksiteFacts{ID: w.ID, Name: w.Name, Type: s.types[w.LocationType]}
	if r.StatusSeq > 0 {
		var st domain.WorksiteStatus
		if err := json.Unmarshal(r.StatusJSON, &st); err != nil {
			return facts, fmt.Errorf("enrolment: status of worksite %s: %w", id, err)
		}
		facts.State, facts.Suspended, facts.StateSince = st.State, st.Suspended, st.WaitingSince
		facts.Member, err = s.store.IsActiveMember(ctx, w.ID, subject)
		return facts, err
	}
	st, _, err := s.worksiteStatus(ctx, w.ID)
	if err != nil {
		return facts, err
	}
	m, err := s.liveMembership(ctx, w.ID)
	if err != nil {
		return facts, err
	}
	x, isMember := m.Member(subject)
	facts.State, facts.Suspended, facts.StateSince, facts.Member = st.State, st.Suspended, st.WaitingSince, isMember && x.Active
	return facts, nil
}

// MyApplications lists the caller's applications with their outstanding
// requirements. Errors: EUNAUTHORIZED, ENOTFOUND, EUNAVAILABLE.
func (s *Service) MyApplications(ctx context.Context, by Caller) ([]domain.Application, error) {
	if err := authorize(by, authz.ReadOwnStatus, authz.Resource{}); err != nil {
		return nil, err
	}
	st, err := s.readUserStatus(ctx, by.Principal.Subject)
	return st.Applications, err
}

// SponsorshipRequests are the sponsorship requests waiting at a worksite.
type SponsorshipRequests struct {
	WorksiteID string
	Requests   []domain.SponsorshipRequest
}

// SponsorshipRequests lists the sponsorship requests at worksite id that
// wait for an authorizer; only those who may sponsor there
// (domain.Member.MaySponsor) and the team see them. Errors: EUNAUTHORIZED,
// ENOTFOUND, EFORBIDDEN.
func (s *Service) SponsorshipRequests(ctx context.Context, by Caller, id string) (SponsorshipRequests, error) {
	if err := signedIn(by); err != nil {
		return SponsorshipRequests{}, err
	}
	w, err := s.lookupWorksite(ctx, id)
	if err != nil {
		return SponsorshipRequests{}, err
	}
	var sponsors []string
	if m, err := s.liveMembership(ctx, w.ID); err == nil {
		for _, x := range m.Sponsors("") {
			sponsors = append(sponsors, x.Subject)
		}
	}
	if err := authorize(by, authz.ReadSponsorshipRequests, authz.Resource{Sponsors: sponsors}); err != nil {
		return SponsorshipRequests{}, err
	}
	rows, err := s.store.SponsorshipRequests(ctx, w.ID)
	if err != nil || by.Principal.Role == domain.RoleTeam {
		return SponsorshipRequests{WorksiteID: w.ID, Requests: rows}, err
	}
	// An authorizer sees the requests they may approve: a nurse
	// practitioner does not see a resident's (domain.SponsorFits).
	var mine domain.Profession
	if acct, err := s.store.GetAccount(ctx, by.Principal.Subject); err == nil {
		mine = s.professions[acct.Profession]
	}
	fit := rows[:0:0]
	for _, r := range rows {
		if domain.SponsorFits(mine, s.professions[r.Profession]) {
			fit = append(fit, r)
		}
	}
	return SponsorshipRequests{WorksiteID: w.ID, Requests: fit}, nil
}

// ApplicationDecision is the team's decision on an application.
type ApplicationDecision int

// The team's decisions on an application.
const (
	Provision ApplicationDecision = iota
	RejectApplication
	SendBack
)

// applicationUpdates are the decisions' workflow updates.
var applicationUpdates = map[ApplicationDecision]string{
	Provision:         workflows.UpdateProvisionApplication,
	RejectApplication: workflows.UpdateRejectApplication,
	SendBack:          workflows.UpdateSendBackApplication,
}

// DecisionInput is the input of the team's decision on an application:
// the reason (required to reject or send back) and, to provision, a
// business role other than the default.
type DecisionInput struct {
	Reason       string               `json:"reason"`
	BusinessRole *domain.BusinessRole `json:"businessRole"`
}

// DecideApplication is the team's provisioning, rejection or sending back
// of subject's application at worksite (the input is a DecisionInput); it
// returns the person's applications. Errors: EUNAUTHORIZED, EFORBIDDEN,
// EINVALID, ENOTFOUND, ECONFLICT, EUNPROCESSABLE.
func (s *Service) DecideApplication(ctx context.Context, by Caller, subject, worksite string, decision ApplicationDecision, in Input) ([]domain.Application, error) {
	if err := authorize(by, authz.TeamDecideApplication, authz.Resource{}); err != nil {
		return nil, err
	}
	var req DecisionInput
	if err := in(&req); err != nil {
		return nil, err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if decision != Provision {
		if err := requiredReason(req.Reason); err != nil {
			return nil, err
		}
	}
	if r := req.BusinessRole; r != nil && (strings.TrimSpace(r.RoleContext) == "" || strings.TrimSpace(r.FunctionalDescription) == "") {
		return nil, (domain.FieldErrors{"businessRole": "needs both roleContext and functionalDescription"}).Err()
	}
	var us domain.UserStatus
	if err := s.userUpdateInto(ctx, by, subject, applicationUpdates[decision], workflows.ApplicationDecision{
		WorksiteID: strings.ToUpper(worksite), Role: req.BusinessRole, Reason: req.Reason,
		Actor: by.Principal.Subject, RequestID: by.RequestID}, &us); err != nil {
		return nil, err
	}
	return us.Applications, nil
}

// RequestSponsorship asks those who may sponsor at worksite
// (domain.Membership.Sponsors) to sponsor the caller's application there
// (on-behalf-of users), and returns the caller's applications. Errors:
// EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EUNPROCESSABLE, ECONFLICT.
func (s *Service) RequestSponsorship(ctx context.Context, by Caller, worksite string) ([]domain.Application, error) {
	acct, err := s.account(ctx, by, authz.SubmitApplication)
	if err != nil {
		return nil, err
	}
	id := strings.ToUpper(worksite)
	m, err := s.liveMembership(ctx, id)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			err = domain.Errorf(domain.ENOTFOUND, domain.NotFoundOrNotYours)
		}
		return nil, err
	}
	mine := s.professions[acct.Profession]
	var authorizers []domain.Person
	for _, x := range m.Sponsors(acct.Subject) {
		// A resident asks only those whose profession may sponsor residents.
		if !domain.SponsorFits(s.sponsorProfession(x.Profession), mine) {
			continue
		}
		authorizers = append(authorizers, domain.Person{Name: x.Name, Email: x.Email, Subject: x.Subject})
	}
	if len(authorizers) == 0 && mine.Code == domain.ProfResident && len(m.Sponsors(acct.Subject)) > 0 {
		return nil, domain.Errorf(domain.EUNPROCESSABLE, "a resident is sponsored by a physician provisioned at the worksite; this worksite has no physician member yet")
	}
	var us domain.UserStatus
	if err := s.userUpdateInto(ctx, by, acct.Subject, workflows.UpdateRequestSponsorship, workflows.SponsorshipRequest{
		WorksiteID: id, Authorizers: authorizers, RequestID: by.RequestID}, &us); err != nil {
		return nil, err
	}
	return us.Applications, nil
}

// sponsorRole is the business role the caller sponsors under at worksite
// id: they may sponsor there (domain.Member.MaySponsor, as the workflow
// knows the membership) and have access provisioned there
// (domain.ProvisionedRole). ok is false otherwise.
func (s *Service) sponsorRole(ctx context.Context, subject, id string) (*domain.BusinessRole, bool) {
	m, err := s.liveMembership(ctx, id)
	if err != nil {
		return nil, false
	}
	if x, ok := m.Member(subject); !ok || !x.MaySponsor() {
		return nil, false
	}
	st, err := s.userStatus(ctx, subject)
	if err != nil {
		return nil, false
	}
	return domain.ProvisionedRole(st.Applications, id)
}

// sponsorProfession is the policy row of a member's profession code. A
// member recorded before professions were kept on memberships (no code)
// was an authorizer by its user type, which Sponsors checked: it fits
// every applicant but a resident.
func (s *Service) sponsorProfession(code string) domain.Profession {
	if p, ok := s.professions[code]; ok {
		return p
	}
	return domain.Profession{CanAuthorize: true}
}

// SponsorshipInput is a sponsor's approval: the residency's dates for a resident.
type SponsorshipInput struct {
	ResidencyStart *time.Time `json:"residencyStart"`
	ResidencyEnd   *time.Time `json:"residencyEnd"`
}

// ApproveSponsorship is an authorizer's approval of subject's sponsorship
// at worksite id (the input is a SponsorshipInput); the sponsored user
// gets the sponsor's business role. The caller must be someone who may
// sponsor there, with access provisioned there. Errors: EUNAUTHORIZED,
// ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT, EUNPROCESSABLE.
func (s *Service) ApproveSponsorship(ctx context.Context, by Caller, id, subject string, in Input) error {
	if err := signedIn(by); err != nil {
		return err
	}
	w, err := s.lookupWorksite(ctx, id)
	if err != nil {
		return err
	}
	p := by.Principal
	var sponsors []string
	role, ok := s.sponsorRole(ctx, p.Subject, w.ID)
	if ok {
		sponsors = []string{p.Subject}
	}
	if err := authorize(by, authz.ApproveSponsorship, authz.Resource{Sponsors: sponsors}); err != nil {
		return err
	}
	var req SponsorshipInput
	if err := in(&req); err != nil {
		return err
	}
	name, email := s.callerName(ctx, p)
	acct, err := s.store.GetAccount(ctx, p.Subject)
	if err != nil {
		return err // they may sponsor, so they have an account: the store failed
	}
	var us domain.UserStatus
	if err := s.userUpdateInto(ctx, by, subject, workflows.UpdateApproveSponsorship, workflows.SponsorshipApproval{
		WorksiteID: w.ID, SponsorSubject: p.Subject, SponsorName: name, SponsorEmail: email, Role: *role, SponsorProfession: s.professions[acct.Profession],
		ResidencyStart: req.ResidencyStart, ResidencyEnd: req.ResidencyEnd, RequestID: by.RequestID}, &us); err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			err = domain.Errorf(domain.ENOTFOUND, "no application by that person at this worksite")
		}
		return err
	}
	return nil
}
