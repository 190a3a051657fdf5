package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"careconnect/authz"
	"careconnect/domain"
	"careconnect/store"
	"careconnect/workflows"
)

// applicationRequest is the body of POST /api/v1/me/applications.
type applicationRequest struct {
	WorksiteID string          `json:"worksiteId"`
	Answers    map[string]bool `json:"answers"`
}

// submitApplication applies for CareConnect access at a worksite. Clinic
// details are prefilled from the worksite; the person's workflow judges
// the application against the live facts and tracks its conditions.
func (s *Server) submitApplication(c *gin.Context) {
	acct, ok := s.account(c, authz.SubmitApplication)
	if !ok {
		return
	}
	var req applicationRequest
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	id := strings.ToUpper(strings.TrimSpace(req.WorksiteID))
	if !domain.ValidWorksiteID(id) {
		writeError(c, s.log, (domain.FieldErrors{"worksiteId": "must be a 7-character worksite ID"}).Err())
		return
	}
	facts, err := s.applicationFacts(c, id, acct.Subject)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	mine, err := s.readUserStatus(c, acct.Subject)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var us domain.UserStatus
	if err := s.userUpdateInto(c, acct.Subject, workflows.UpdateSubmitApplication, workflows.SubmitApplication{
		Worksite: facts, Profession: s.professions[acct.Profession], Questions: s.cfg.Policy.Questions, Answers: req.Answers,
		ProvisionedPhysical: provisionedAtPhysicalWorksite(mine, s.types), RequestID: requestID(c)}, &us); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"applications": us.Applications})
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
func (s *Server) applicationFacts(c *gin.Context, id, subject string) (domain.WorksiteFacts, error) {
	ctx := c.Request.Context()
	r, err := s.store.ReadWorksite(ctx, id)
	if err != nil {
		return domain.WorksiteFacts{}, notFoundOrNotYours(err)
	}
	w := r.Worksite
	facts := domain.WorksiteFacts{ID: w.ID, Name: w.Name, Type: s.types[w.LocationType]}
	if r.StatusSeq > 0 {
		var st domain.WorksiteStatus
		if err := json.Unmarshal(r.StatusJSON, &st); err != nil {
			return facts, fmt.Errorf("api: status of worksite %s: %w", id, err)
		}
		facts.State, facts.Suspended, facts.StateSince = st.State, st.Suspended, st.WaitingSince
		facts.Member, err = s.store.IsActiveMember(ctx, w.ID, subject)
		return facts, err
	}
	st, _, err := s.worksiteStatus(c, w.ID)
	if err != nil {
		return facts, err
	}
	m, err := s.liveMembership(c, w.ID)
	if err != nil {
		return facts, fromTemporal(err)
	}
	x, isMember := m.Member(subject)
	facts.State, facts.Suspended, facts.StateSince, facts.Member = st.State, st.Suspended, st.WaitingSince, isMember && x.Active
	return facts, nil
}

// myApplications lists the caller's applications with their outstanding requirements.
func (s *Server) myApplications(c *gin.Context) {
	p := principal(c)
	if !s.authorize(c, authz.ReadOwnStatus, authz.Resource{}) {
		return
	}
	st, err := s.readUserStatus(c, p.Subject)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"applications": nonNil(st.Applications)})
}

// applicationQueue is the team's list of applications, by state (default: ready).
func (s *Server) applicationQueue(c *gin.Context) {
	if !s.authorize(c, authz.TeamListApplications, authz.Resource{}) {
		return
	}
	f, err := s.queueFilter(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	ctx := c.Request.Context()
	apps, err := s.store.ListApplications(ctx, f)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	cal, now := s.cfg.Calendar.DomainCalendar(), s.now()
	for i := range apps {
		r := &apps[i]
		if since := r.ReadySince; since != nil && r.State == domain.AppReady {
			r.BusinessDaysWaiting = cal.BusinessDaysBetween(*since, now)
		}
		r.WorkflowID = workflows.UserWorkflowID(r.Subject)
	}
	var worksites []store.WorksiteSummary
	if f.Profession == "" { // worksites have no profession: a profession filter leaves only applications
		worksites, err = s.store.ListWorksites(ctx, store.WorksiteFilter{State: string(domain.WorksiteAwaitingReview),
			LocationType: f.LocationType, Escalated: f.Escalated})
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		for i := range worksites {
			w := &worksites[i]
			if w.WaitingSince != nil {
				w.BusinessDaysWaiting = cal.BusinessDaysBetween(*w.WaitingSince, now)
			}
			w.WorkflowID = workflows.WorksiteWorkflowID(w.ID)
		}
	}
	body, err := queuePage(apps, worksites)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// queueFilter reads the queue's query: state (default ready for
// provisioning), profession, worksiteType and overdue (escalated only).
func (s *Server) queueFilter(c *gin.Context) (store.ApplicationFilter, error) {
	f := store.ApplicationFilter{State: c.DefaultQuery("state", string(domain.AppReady)), Profession: c.Query("profession"),
		LocationType: c.Query("worksiteType")}
	fe := domain.FieldErrors{}
	switch domain.ApplicationState(f.State) {
	case domain.AppWaiting, domain.AppReady, domain.AppProvisioned, domain.AppRejected, domain.AppSentBack,
		domain.AppLapsed, domain.AppEnded, domain.AppSuspended:
	default:
		fe.Add("state", "must be one of waiting, ready_for_provisioning, provisioned, rejected, sent_back, lapsed, ended, suspended")
	}
	if _, ok := domain.IndexProfessions(s.cfg.Policy.Professions)[f.Profession]; f.Profession != "" && !ok {
		fe.Add("profession", "is not a profession of the policy table (see /api/v1/reference)")
	}
	if _, ok := domain.IndexWorksiteTypes(s.cfg.Policy.WorksiteTypes)[domain.LocationType(f.LocationType)]; f.LocationType != "" && !ok {
		fe.Add("worksiteType", "is not a worksite type of the policy table (see /api/v1/reference)")
	}
	switch c.Query("overdue") {
	case "", "false":
	case "true":
		f.Escalated = true
	default:
		fe.Add("overdue", "must be true or false")
	}
	return f, fe.Err()
}

// sponsorshipRequests lists the sponsorship requests at the :id worksite
// that wait for an authorizer; only its active authorizer members (and the team) see them.
func (s *Server) sponsorshipRequests(c *gin.Context) {
	p := principal(c)
	if p == nil {
		writeError(c, s.log, domain.Errorf(domain.EUNAUTHORIZED, "sign in first"))
		return
	}
	w, err := s.lookupWorksite(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var authorizers []string
	if m, err := s.liveMembership(c, w.ID); err == nil {
		for _, x := range m.Members {
			if x.Active && x.UserType == domain.Authorizer {
				authorizers = append(authorizers, x.Subject)
			}
		}
	}
	if !s.authorize(c, authz.ReadSponsorshipRequests, authz.Resource{Sponsors: authorizers}) {
		return
	}
	rows, err := s.store.SponsorshipRequests(c.Request.Context(), w.ID)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out := make([]gin.H, 0, len(rows))
	for _, r := range rows {
		out = append(out, gin.H{"subject": r.Subject, "name": r.Name, "profession": r.Profession,
			"requestedAt": r.Application.SponsorshipRequestedAt, "needsResidencyDates": r.Profession == domain.ProfResident})
	}
	c.JSON(http.StatusOK, gin.H{"worksiteId": w.ID, "requests": out})
}

// decideApplication is the team's provision, reject or send back.
func (s *Server) decideApplication(update string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.authorize(c, authz.TeamDecideApplication, authz.Resource{}) {
			return
		}
		var req struct {
			Reason       string               `json:"reason"`
			BusinessRole *domain.BusinessRole `json:"businessRole"`
		}
		if err := decodeJSON(c, &req); err != nil {
			writeError(c, s.log, err)
			return
		}
		req.Reason = strings.TrimSpace(req.Reason)
		if err := requiredReason(req.Reason); err != nil && update != workflows.UpdateProvisionApplication {
			writeError(c, s.log, err)
			return
		}
		if r := req.BusinessRole; r != nil && (strings.TrimSpace(r.RoleContext) == "" || strings.TrimSpace(r.FunctionalDescription) == "") {
			writeError(c, s.log, (domain.FieldErrors{"businessRole": "needs both roleContext and functionalDescription"}).Err())
			return
		}
		var us domain.UserStatus
		if err := s.userUpdateInto(c, c.Param("subject"), update, workflows.ApplicationDecision{
			WorksiteID: strings.ToUpper(c.Param("worksite")), Role: req.BusinessRole, Reason: req.Reason,
			Actor: principal(c).Subject, RequestID: requestID(c)}, &us); err != nil {
			writeError(c, s.log, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"applications": us.Applications})
	}
}

// requestSponsorship asks the worksite's active authorizers to sponsor the
// caller's application (on-behalf-of users).
func (s *Server) requestSponsorship(c *gin.Context) {
	acct, ok := s.account(c, authz.SubmitApplication)
	if !ok {
		return
	}
	id := strings.ToUpper(c.Param("worksite"))
	m, err := s.liveMembership(c, id)
	if err != nil {
		if domain.ErrorCode(fromTemporal(err)) == domain.ENOTFOUND {
			err = domain.Errorf(domain.ENOTFOUND, domain.NotFoundOrNotYours)
		}
		writeError(c, s.log, fromTemporal(err))
		return
	}
	var authorizers []domain.Person
	for _, x := range m.Members {
		if x.Active && x.UserType == domain.Authorizer && x.Subject != acct.Subject {
			authorizers = append(authorizers, domain.Person{Name: x.Name, Email: x.Email, Subject: x.Subject})
		}
	}
	var us domain.UserStatus
	if err := s.userUpdateInto(c, acct.Subject, workflows.UpdateRequestSponsorship, workflows.SponsorshipRequest{
		WorksiteID: id, Authorizers: authorizers, RequestID: requestID(c)}, &us); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"applications": us.Applications})
}

// provisionedRole returns subject's business role at worksite id when their
// application there is provisioned.
func (s *Server) provisionedRole(c *gin.Context, subject, id string) (*domain.BusinessRole, bool) {
	st, err := s.userStatus(c, subject)
	if err != nil {
		return nil, false
	}
	for _, a := range st.Applications {
		if a.Worksite.ID == id && a.State == domain.AppProvisioned && a.BusinessRole != nil {
			return a.BusinessRole, true
		}
	}
	return nil, false
}

// approveSponsorship is an authorizer's approval of :subject's sponsorship
// at :id; the sponsored user gets the sponsor's business role.
func (s *Server) approveSponsorship(c *gin.Context) {
	p := principal(c)
	if p == nil {
		writeError(c, s.log, domain.Errorf(domain.EUNAUTHORIZED, "sign in first"))
		return
	}
	w, err := s.lookupWorksite(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	// The caller may sponsor only as an active authorizer member provisioned here.
	var sponsors []string
	var role *domain.BusinessRole
	if m, err := s.liveMembership(c, w.ID); err == nil {
		if x, ok := m.Member(p.Subject); ok && x.Active && x.UserType == domain.Authorizer {
			if r, ok := s.provisionedRole(c, p.Subject, w.ID); ok {
				sponsors, role = []string{p.Subject}, r
			}
		}
	}
	if !s.authorize(c, authz.ApproveSponsorship, authz.Resource{Sponsors: sponsors}) {
		return
	}
	var req struct {
		ResidencyStart *time.Time `json:"residencyStart"`
		ResidencyEnd   *time.Time `json:"residencyEnd"`
	}
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	name, email := s.callerName(c, p)
	var us domain.UserStatus
	if err := s.userUpdateInto(c, c.Param("subject"), workflows.UpdateApproveSponsorship, workflows.SponsorshipApproval{
		WorksiteID: w.ID, SponsorSubject: p.Subject, SponsorName: name, SponsorEmail: email, Role: *role,
		ResidencyStart: req.ResidencyStart, ResidencyEnd: req.ResidencyEnd, RequestID: requestID(c)}, &us); err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			err = domain.Errorf(domain.ENOTFOUND, "no application by that person at this worksite")
		}
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"message": "sponsorship approved"})
}

// suspendPerson is the team's suspension (or reinstatement) of a person's
// CareConnect access at every worksite, with the reason; the workflow
// audits it with the caller and suspends or restores provisioned access.
func (s *Server) suspendPerson(suspend bool) gin.HandlerFunc {
	update := workflows.UpdateReinstateAccess
	if suspend {
		update = workflows.UpdateSuspendAccess
	}
	return func(c *gin.Context) {
		if !s.authorize(c, authz.TeamSuspendPerson, authz.Resource{}) {
			return
		}
		var req struct {
			Reason string `json:"reason"`
		}
		if err := decodeJSON(c, &req); err != nil {
			writeError(c, s.log, err)
			return
		}
		req.Reason = strings.TrimSpace(req.Reason)
		if err := requiredReason(req.Reason); err != nil {
			writeError(c, s.log, err)
			return
		}
		st, err := s.userUpdate(c, c.Param("subject"), update,
			workflows.AccessDecision{Actor: principal(c).Subject, Reason: req.Reason, RequestID: requestID(c)})
		if err != nil {
			if domain.ErrorCode(err) == domain.ENOTFOUND {
				err = domain.Errorf(domain.ENOTFOUND, "no person with that subject has signed in")
			}
			writeError(c, s.log, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": st})
	}
}

// requiredReason checks a trimmed reason the caller must give.
func requiredReason(reason string) error {
	switch {
	case reason == "":
		return (domain.FieldErrors{"reason": "is required: say why"}).Err()
	case len(reason) > 1000:
		return (domain.FieldErrors{"reason": "must be at most 1000 characters"}).Err()
	}
	return nil
}
