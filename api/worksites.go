package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"careconnect/authz"
	"careconnect/domain"
	"careconnect/store"
	"careconnect/workflows"
)

// WorksiteView is a worksite as the API shows it.
type WorksiteView struct {
	ID               string              `json:"id"`
	Name             string              `json:"name"`
	Phone            string              `json:"phone"`
	Extension        string              `json:"extension,omitempty"`
	Email            string              `json:"email"`
	Address          domain.Address      `json:"address"`
	AddressLine      string              `json:"addressLine"`
	LocationType     domain.LocationType `json:"locationType"`
	LocationLabel    string              `json:"locationTypeLabel"`
	SubOption        string              `json:"subOption,omitempty"`
	OtherDescription string              `json:"otherDescription,omitempty"`
	EMR              string              `json:"emr"`
	Access           domain.Access       `json:"access"`
	AccessNote       string              `json:"accessNote,omitempty"`
	RegisteredAt     string              `json:"registeredAt"`
}

func (s *Server) view(w domain.Worksite) WorksiteView {
	t := s.types[w.LocationType]
	return WorksiteView{ID: w.ID, Name: w.Name, Phone: w.Phone, Extension: w.Extension, Email: w.Email,
		Address: w.Address, AddressLine: w.Address.String(), LocationType: w.LocationType, LocationLabel: t.Label,
		SubOption: w.SubOption, OtherDescription: w.OtherDescription, EMR: w.EMR, Access: t.Access, AccessNote: t.Reason,
		RegisteredAt: w.RegisteredAt.UTC().Format("2006-01-02T15:04:05Z07:00")}
}

// registerWorksite stores a worksite and starts its enrolment workflow.
// A failure to start the workflow removes the worksite again.
func (s *Server) registerWorksite(c *gin.Context) {
	p := principal(c)
	if !s.authorize(c, authz.RegisterWorksite, authz.Resource{HasAccount: true}) {
		return
	}
	acct, err := s.store.GetAccount(c.Request.Context(), p.Subject)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		err = authz.Authorize(p, authz.RegisterWorksite, authz.Resource{HasAccount: false})
	}
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var req domain.WorksiteRegistration
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	// The registrant becomes the first site administrator.
	req.Administrator = domain.Person{Name: acct.DisplayName(), Email: acct.Email, Subject: acct.Subject}
	reg, err := domain.ValidateWorksiteRegistration(req, s.types, s.cfg.Policy.EMRVendors)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	ctx := c.Request.Context()
	now := s.now().UTC()
	w, err := s.store.CreateWorksite(ctx, reg, now, domain.AuditEvent{At: now, Actor: p.Subject,
		Role: string(p.Role), Action: "worksite registered", RequestID: requestID(c)})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	in := workflows.WorksiteInput{WorksiteID: w.ID, TypePolicy: s.types[w.LocationType], RegisteredAt: now,
		Schedule: s.cfg.Schedule.DomainSchedule(), Calendar: s.cfg.Calendar.DomainCalendar(), Registrant: s.asMember(acct)}
	_, err = s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.WorksiteWorkflowID(w.ID), TaskQueue: s.cfg.Temporal.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, workflows.WorksiteWorkflowName, in)
	if err != nil {
		if derr := s.store.DeleteWorksite(ctx, w.ID); derr != nil {
			s.log.Error("could not remove worksite after failed workflow start", "worksite", w.ID, "error", derr)
		}
		writeError(c, s.log, fromTemporal(err))
		return
	}
	c.Header("Location", "/api/v1/worksites/"+w.ID)
	c.JSON(http.StatusCreated, gin.H{"worksite": s.view(w), "statusUrl": "/api/v1/worksites/" + w.ID})
}

// getWorksite returns a worksite and its status from the projection, which
// the workflow writes before each of its updates returns; a worksite whose
// workflow has not yet projected (just registered) is asked of the workflow.
// The administrators it is authorized by come from the projection too.
func (s *Server) getWorksite(c *gin.Context) {
	if principal(c) == nil {
		writeError(c, s.log, domain.Errorf(domain.EUNAUTHORIZED, "sign in first"))
		return
	}
	id, err := worksiteParam(c)
	var r store.WorksiteRead
	if err == nil {
		r, err = s.store.ReadWorksite(c.Request.Context(), id)
		err = notFoundOrNotYours(err)
	}
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if !s.authorize(c, authz.ReadWorksite, authz.Resource{Admins: r.Admins}) {
		return
	}
	if r.StatusSeq > 0 {
		view, err := json.Marshal(s.view(r.Worksite))
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		writeJSONObject(c, jsonField{"worksite", view}, jsonField{"status", r.StatusJSON},
			jsonField{"statusSource", json.RawMessage(`"projection"`)})
		return
	}
	st, source, err := s.worksiteStatus(c, id)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"worksite": s.view(r.Worksite), "status": st, "statusSource": source})
}

func (s *Server) worksiteStatus(c *gin.Context, id string) (domain.WorksiteStatus, string, error) {
	ctx := c.Request.Context()
	var st domain.WorksiteStatus
	// A query on a finished workflow replays it on a worker; when that is
	// slow, the projection (which holds the final status) answers instead.
	qctx, cancel := context.WithTimeout(ctx, statusQueryTimeout)
	defer cancel()
	v, err := s.temporal.QueryWorkflow(qctx, workflows.WorksiteWorkflowID(id), "", workflows.QueryStatus)
	if err == nil {
		if err = v.Get(&st); err == nil {
			return st, "workflow", nil
		}
	}
	s.log.Warn("worksite status query failed; using projection", "worksite", id, "error", err)
	st, err = s.store.GetWorksiteStatus(ctx, id)
	return st, "projection", err
}

// statusQueryTimeout bounds a status query before the projection answers.
const statusQueryTimeout = 5 * time.Second

// listWorksites is the team's list of worksites from the projection.
func (s *Server) listWorksites(c *gin.Context) {
	if !s.authorize(c, authz.TeamListWorksites, authz.Resource{}) {
		return
	}
	f := store.WorksiteFilter{State: c.Query("state"), WaitingOn: c.Query("waitingOn")}
	rows, err := s.store.ListWorksites(c.Request.Context(), f)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"worksites": rows})
}

func (s *Server) worksiteAudit(c *gin.Context) {
	id, ok := s.teamWorksite(c, authz.TeamReadWorksite)
	if !ok {
		return
	}
	events, err := s.store.ListAudit(c.Request.Context(), "worksite:"+id)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"subject": "worksite:" + id, "events": events})
}

func (s *Server) worksiteEmails(c *gin.Context) {
	id, ok := s.teamWorksite(c, authz.TeamReadWorksite)
	if !ok {
		return
	}
	emails, err := s.store.ListEmails(c.Request.Context(), "worksite/"+id+"/")
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"emails": emails})
}

// teamWorksite authorizes a team action and reads the :id worksite,
// writing the error (401/403 first, then 404) and returning false on failure.
func (s *Server) teamWorksite(c *gin.Context, a authz.Action) (string, bool) {
	if !s.authorize(c, a, authz.Resource{}) {
		return "", false
	}
	w, err := s.lookupWorksite(c)
	if err != nil {
		writeError(c, s.log, err)
		return "", false
	}
	return w.ID, true
}

// lookupWorksite loads the worksite named by the :id parameter. Errors: ENOTFOUND.
func (s *Server) lookupWorksite(c *gin.Context) (domain.Worksite, error) {
	id, err := worksiteParam(c)
	if err != nil {
		return domain.Worksite{}, err
	}
	w, err := s.store.GetWorksite(c.Request.Context(), id)
	return w, notFoundOrNotYours(err)
}

// worksiteParam is the :id worksite ID, upper-cased; a malformed one is
// not found, like any worksite that is not the caller's.
func worksiteParam(c *gin.Context) (string, error) {
	id := strings.ToUpper(c.Param("id"))
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

// decisionRequest is the body of approve and reject. The deciding team
// member is the caller.
type decisionRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) decideWorksite(approve bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.authorize(c, authz.TeamDecideWorksite, authz.Resource{}) {
			return
		}
		var req decisionRequest
		if err := decodeJSON(c, &req); err != nil {
			writeError(c, s.log, err)
			return
		}
		req.Reason = strings.TrimSpace(req.Reason)
		fe := domain.FieldErrors{}
		if !approve && req.Reason == "" {
			fe.Add("reason", "is required when rejecting")
		}
		if len(req.Reason) > 1000 {
			fe.Add("reason", "must be at most 1000 characters")
		}
		if err := fe.Err(); err != nil {
			writeError(c, s.log, err)
			return
		}
		w, err := s.lookupWorksite(c)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		id := w.ID
		d := workflows.Decision{Approve: approve, Reason: req.Reason, Actor: principal(c).Subject, RequestID: requestID(c)}
		st, err := s.update(c, id, workflows.UpdateDecide, d, func(st domain.WorksiteStatus) error {
			return domain.CanDecideWorksite(st.State, s.types[w.LocationType], approve, req.Reason)
		})
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": st})
	}
}

// update runs a worksite update whose result is the status; closed judges
// the request against the final status of a finished workflow.
func (s *Server) update(c *gin.Context, worksiteID, name string, arg any, closed func(domain.WorksiteStatus) error) (domain.WorksiteStatus, error) {
	var st domain.WorksiteStatus
	err := s.worksiteUpdate(c, worksiteID, name, arg, &st, closed)
	return st, err
}
