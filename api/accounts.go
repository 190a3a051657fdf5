package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"golang.org/x/crypto/bcrypt"

	"careconnect/authz"
	"careconnect/domain"
	"careconnect/store"
	"careconnect/workflows"
)

// ensurePerson records the person and starts (or reaches) their enrolment
// workflow with update-with-start; "identity validated" is its first event.
// Calling it again changes nothing.
func (s *Server) ensurePerson(c *gin.Context, p domain.Principal) (domain.UserStatus, error) {
	ctx := c.Request.Context()
	var st domain.UserStatus
	if err := s.store.EnsurePerson(ctx, p.Subject, p.GivenName, p.FamilyName); err != nil {
		return st, err
	}
	op := s.temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: workflows.UserWorkflowID(p.Subject), TaskQueue: s.cfg.Temporal.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.UserWorkflowName, workflows.UserInput{Subject: p.Subject, Schedule: s.cfg.Schedule.DomainSchedule(),
		Calendar: s.cfg.Calendar.DomainCalendar()})
	h, err := s.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{UpdateName: workflows.UpdateIdentityValidated, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{workflows.IdentityValidated{LegalFirstName: p.GivenName, LegalLastName: p.FamilyName, At: s.now().UTC()}}}})
	if err == nil {
		err = h.Get(ctx, &st)
	}
	return st, fromTemporal(err)
}

// statusOrEnsure returns the status of a person whose enrolment already
// runs (readUserStatus: the projection, or a query; neither adds to its
// history); only a person without one gets ensurePerson's
// update-with-start. Reads poll this: an update per read would fill the
// workflow's history.
func (s *Server) statusOrEnsure(c *gin.Context, p domain.Principal) (domain.UserStatus, error) {
	if st, err := s.readUserStatus(c, p.Subject); err == nil && st.State != "" {
		return st, nil
	}
	return s.ensurePerson(c, p)
}

// readUserStatus answers a read of a person's status from the projection,
// which the workflow writes before each of its updates returns (see
// workflows.changeLocalWrites), so a client sees its own change. Only a
// status never projected (or a projection that cannot be read) is asked of
// the workflow.
func (s *Server) readUserStatus(c *gin.Context, subject string) (domain.UserStatus, error) {
	var st domain.UserStatus
	raw, seq, err := s.store.UserStatusJSON(c.Request.Context(), subject)
	if err == nil && seq > 0 {
		if err = json.Unmarshal(raw, &st); err == nil {
			return st, nil
		}
	}
	var live domain.UserStatus
	v, qerr := s.temporal.QueryWorkflow(c.Request.Context(), workflows.UserWorkflowID(subject), "", workflows.QueryStatus)
	if qerr == nil {
		if qerr = v.Get(&live); qerr == nil {
			return live, nil
		}
	}
	if err != nil {
		return st, err
	}
	return st, fromTemporal(qerr)
}

// userUpdate sends an update to a person's workflow and returns their status.
func (s *Server) userUpdate(c *gin.Context, subject, name string, arg any) (domain.UserStatus, error) {
	var st domain.UserStatus
	err := s.userUpdateInto(c, subject, name, arg, &st)
	return st, err
}

// userUpdateInto sends an update to a person's workflow and decodes its result into out.
func (s *Server) userUpdateInto(c *gin.Context, subject, name string, arg, out any) error {
	h, err := s.temporal.UpdateWorkflow(c.Request.Context(), client.UpdateWorkflowOptions{
		UpdateID: updateID(c, name), WorkflowID: workflows.UserWorkflowID(subject), UpdateName: name,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(c.Request.Context(), out)
	}
	return fromTemporal(err)
}

// userStatus queries a person's workflow, falling back to the projection.
func (s *Server) userStatus(c *gin.Context, subject string) (domain.UserStatus, error) {
	var st domain.UserStatus
	v, err := s.temporal.QueryWorkflow(c.Request.Context(), workflows.UserWorkflowID(subject), "", workflows.QueryStatus)
	if err == nil {
		if err = v.Get(&st); err == nil {
			return st, nil
		}
	}
	return s.store.GetUserStatus(c.Request.Context(), subject)
}

// me returns the caller: who they are, their account if any, their
// enrolment status, and the CSRF token a browser session must echo.
func (s *Server) me(c *gin.Context) {
	p := principal(c)
	if p == nil {
		writeError(c, s.log, domain.Errorf(domain.EUNAUTHORIZED, "sign in first"))
		return
	}
	body := gin.H{"principal": p}
	if p.CSRFToken != "" {
		body["csrfToken"] = p.CSRFToken
	}
	if p.Role == domain.RoleApplicant {
		st, err := s.statusOrEnsure(c, *p)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		body["status"] = st
		acct, err := s.store.GetAccount(c.Request.Context(), p.Subject)
		switch domain.ErrorCode(err) {
		case "":
			body["account"] = acct
		case domain.ENOTFOUND:
		default:
			writeError(c, s.log, err)
			return
		}
	}
	c.JSON(http.StatusOK, body)
}

// registerAccount creates the caller's HxBC account.
func (s *Server) registerAccount(c *gin.Context) {
	p := principal(c)
	if !s.authorize(c, authz.RegisterAccount, authz.Resource{}) {
		return
	}
	var req domain.AccountRegistration
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	reg, err := domain.ValidateAccountRegistration(req, s.professions)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if _, err := s.ensurePerson(c, *p); err != nil {
		writeError(c, s.log, err)
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(reg.Password), s.cfg.Auth.BcryptCost)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	ctx := c.Request.Context()
	now := s.now().UTC()
	acct, err := s.store.CreateAccount(ctx, p.Subject, reg, string(hash), now, s.audit(c, "person:"+p.Subject, "account registered",
		"username "+reg.Username+", profession "+reg.Profession))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	// The workflow sends the first link to confirm the address: until it
	// is used, nothing (LearningHub events, invitations) binds to it.
	st, err := s.userUpdate(c, p.Subject, workflows.UpdateAccountRegistered, workflows.AccountRegistered{
		Username: acct.Username, Profession: acct.Profession, At: now, RequestID: requestID(c),
		EmailConfirmation: &workflows.EmailConfirmationRequest{Link: acct.EmailLink, Seq: acct.EmailLinksSent, RequestID: requestID(c)}})
	if err != nil {
		// The workflow did not take it: remove the account so a retry starts clean.
		if derr := s.store.DeleteAccount(ctx, p.Subject); derr != nil {
			s.log.Error("could not remove account after failed workflow update", "request_id", requestID(c), "error", derr)
		}
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"account": acct, "status": st})
}

// accountUpdate is the body of PATCH /api/v1/me/account; absent fields stay.
type accountUpdate struct {
	PreferredFirstName *string `json:"preferredFirstName"`
	PreferredLastName  *string `json:"preferredLastName"`
	Email              *string `json:"email"`
	Phone              *string `json:"phone"`
	Mobile             *string `json:"mobile"`
}

// updateAccount changes the caller's preferred names and contact details.
// Legal names and the profession are not editable here. A new email is
// confirmed through a link sent to it before it counts: a confirmed
// address stays in force meanwhile (store.UpdateAccount).
func (s *Server) updateAccount(c *gin.Context) {
	p := principal(c)
	if !s.authorize(c, authz.UpdateOwnAccount, authz.Resource{}) {
		return
	}
	var req accountUpdate
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	u, err := validateAccountUpdate(req)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	acct, change, err := s.store.UpdateAccount(c.Request.Context(), p.Subject, u, s.audit(c, "person:"+p.Subject, "contact details updated", ""))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	body := gin.H{"account": acct}
	var st domain.UserStatus
	switch change {
	case domain.EmailReplaced, domain.EmailPending:
		st, err = s.userUpdate(c, p.Subject, workflows.UpdateEmailConfirmationRequested, workflows.EmailConfirmationRequest{
			Link: acct.EmailLink, Seq: acct.EmailLinksSent, Change: acct.EmailConfirmed, RequestID: requestID(c)})
	case domain.EmailWithdrawn:
		st, err = s.userUpdate(c, p.Subject, workflows.UpdateEmailConfirmationSettled, workflows.EmailConfirmationSettled{
			At: s.now().UTC(), RequestID: requestID(c)})
	}
	if change != domain.EmailUnchanged {
		if err != nil {
			// Stored, and shown on the account; the link can be sent again from the status page.
			s.log.Warn("email change stored but the enrolment not told", "request_id", requestID(c), "error", err)
		} else {
			body["status"] = st
		}
	}
	c.JSON(http.StatusOK, body)
}

func validateAccountUpdate(req accountUpdate) (store.AccountUpdate, error) {
	fe := domain.FieldErrors{}
	trim := func(p *string) *string {
		if p == nil {
			return nil
		}
		v := strings.TrimSpace(*p)
		return &v
	}
	u := store.AccountUpdate{PreferredFirstName: trim(req.PreferredFirstName), PreferredLastName: trim(req.PreferredLastName),
		Email: trim(req.Email), Phone: trim(req.Phone), Mobile: trim(req.Mobile)}
	if u.PreferredFirstName != nil {
		if problem := domain.PreferredNameProblem(*u.PreferredFirstName); problem != "" {
			fe.Add("preferredFirstName", problem)
		}
	}
	if u.PreferredLastName != nil {
		if problem := domain.PreferredNameProblem(*u.PreferredLastName); problem != "" {
			fe.Add("preferredLastName", problem)
		}
	}
	if u.Email != nil {
		if !domain.ValidEmail(*u.Email) {
			fe.Add("email", "must be an email address such as name@example.ca")
		} else {
			*u.Email = strings.ToLower(*u.Email)
		}
	}
	if u.Phone != nil {
		if ph, ok := domain.NormalisePhone(*u.Phone); !ok {
			fe.Add("phone", "must be a 10-digit North American phone number")
		} else {
			u.Phone = &ph
		}
	}
	if u.Mobile != nil && *u.Mobile != "" {
		if m, ok := domain.NormalisePhone(*u.Mobile); !ok {
			fe.Add("mobile", "must be a 10-digit North American phone number")
		} else {
			u.Mobile = &m
		}
	}
	if u == (store.AccountUpdate{}) {
		return u, domain.Errorf(domain.EINVALID, "send at least one of preferredFirstName, preferredLastName, email, phone, mobile")
	}
	return u, fe.Err()
}

// resetPassword sets a new password for the caller, who proved who they are
// by signing in with the BC Services Card; the password's life restarts.
func (s *Server) resetPassword(c *gin.Context) {
	p := principal(c)
	if !s.authorize(c, authz.ResetOwnPassword, authz.Resource{}) {
		return
	}
	var req struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	if err := domain.ValidPassword(req.Password); err != nil {
		writeError(c, s.log, (domain.FieldErrors{"password": err.Error()}).Err())
		return
	}
	ctx := c.Request.Context()
	if _, err := s.store.GetAccount(ctx, p.Subject); err != nil {
		writeError(c, s.log, err)
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(req.Password), s.cfg.Auth.BcryptCost)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	now := s.now().UTC()
	if err := s.store.SetPassword(ctx, p.Subject, string(hash), now, s.audit(c, "person:"+p.Subject, "password reset", "")); err != nil {
		writeError(c, s.log, err)
		return
	}
	st, err := s.userUpdate(c, p.Subject, workflows.UpdatePasswordChanged, workflows.PasswordChanged{At: now, RequestID: requestID(c)})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": st})
}

// myStatus is the caller's enrolment status.
func (s *Server) myStatus(c *gin.Context) {
	p := principal(c)
	if !s.authorize(c, authz.ReadOwnStatus, authz.Resource{}) {
		return
	}
	// The projection as stored is the answer, passed on without decoding.
	if raw, seq, err := s.store.UserStatusJSON(c.Request.Context(), p.Subject); err == nil && seq > 0 {
		writeJSONObject(c, jsonField{"status", raw})
		return
	}
	// A bearer client's first call may be this one: start the enrolment.
	st, err := s.statusOrEnsure(c, *p)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": st})
}

// staffPerson is the team's view of a person: account, status and audit timeline.
func (s *Server) staffPerson(c *gin.Context) {
	if !s.authorize(c, authz.TeamReadPerson, authz.Resource{}) {
		return
	}
	subject := c.Param("subject")
	ctx := c.Request.Context()
	st, err := s.store.GetUserStatus(ctx, subject)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			err = domain.Errorf(domain.ENOTFOUND, "no person with that subject has signed in")
		}
		writeError(c, s.log, err)
		return
	}
	if live, err := s.userStatus(c, subject); err == nil {
		st = live
	}
	body := gin.H{"status": st}
	if acct, err := s.store.GetAccount(ctx, subject); err == nil {
		body["account"] = acct
	} else if domain.ErrorCode(err) != domain.ENOTFOUND {
		writeError(c, s.log, err)
		return
	}
	events, err := s.store.ListAudit(ctx, "person:"+subject)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	body["audit"] = events
	c.JSON(http.StatusOK, body)
}

// changeProfession is the team's profession correction, recorded with who and why.
func (s *Server) changeProfession(c *gin.Context) {
	if !s.authorize(c, authz.TeamChangeProfession, authz.Resource{}) {
		return
	}
	var req struct {
		Profession    string            `json:"profession"`
		ProfessionIDs map[string]string `json:"professionIds"`
		Reason        string            `json:"reason"`
	}
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	ids, err := domain.ValidateProfessionChange(req.Profession, req.ProfessionIDs, req.Reason, s.professions)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	subject := c.Param("subject")
	ctx := c.Request.Context()
	acct, err := s.store.GetAccount(ctx, subject)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if acct.Profession == req.Profession {
		writeError(c, s.log, domain.Errorf(domain.ECONFLICT, "the profession is already %s", req.Profession))
		return
	}
	actor := principal(c)
	if err := s.store.SetProfession(ctx, subject, req.Profession, ids, s.audit(c, "person:"+subject, "profession changed",
		acct.Profession+" -> "+req.Profession+": "+strings.TrimSpace(req.Reason))); err != nil {
		writeError(c, s.log, err)
		return
	}
	st, err := s.userUpdate(c, subject, workflows.UpdateProfessionChanged, workflows.ProfessionChanged{From: acct.Profession,
		To: req.Profession, Actor: actor.Subject, Reason: strings.TrimSpace(req.Reason), RequestID: requestID(c)})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": st})
}

// audit builds the audit record of a change the caller makes.
func (s *Server) audit(c *gin.Context, subject, action, detail string) domain.AuditEvent {
	e := domain.AuditEvent{At: s.now().UTC(), Subject: subject, Action: action, Detail: detail, RequestID: requestID(c)}
	if p := principal(c); p != nil {
		e.Actor, e.Role = p.Subject, string(p.Role)
	}
	return e
}
