package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/learninghub"
)

// accountBody is user i's HxBC account registration (a physician).
func accountBody(i int) []byte {
	no := false
	b, _ := json.Marshal(map[string]any{"email": userKey(i) + "@bench.example.ca", "phone": "604-555-0100",
		"hasHealthAuthorityNetworkAccount": false, "username": "bench_" + userKey(i), "password": "Secret!42",
		"profession": domain.ProfPhysician, "isResident": &no,
		"professionIds": map[string]string{"msp_billing_number": "A1234", "cpsid": "12345"}})
	return b
}

// worksiteBody is worksite i's registration: one address per i.
func worksiteBody(i int) []byte {
	b, _ := json.Marshal(map[string]any{
		"name": fmt.Sprintf("Bench Clinic %d", i), "phone": "604-555-4555", "email": fmt.Sprintf("front%d@bench.example.ca", i),
		"address": map[string]any{"unit": strconv.Itoa(1 + i%500), "streetNumber": strconv.Itoa(1 + i/500), "streetName": "Broadway East",
			"city": "Vancouver", "province": "BC", "postalCode": "V5T 4G5"},
		"locationType": "community_private_practice", "subOption": "physician_led", "emr": "OSCAR"})
	return b
}

var applicationBody = []byte(`{"answers":{"direct_clinical_care":true},"worksiteId":"%s"}`)

// expect sends a request as auth and fails unless the status is want.
func (s *system) expect(ctx context.Context, want int, method, path, auth, contentType string, body []byte, headers ...string) ([]byte, error) {
	if auth != "" {
		headers = append(headers, "Authorization", auth)
	}
	status, b, err := s.do(ctx, method, path, contentType, body, headers...)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if status != want {
		return b, fmt.Errorf("%s %s: got %d %s; want %d", method, path, status, clip(b), want)
	}
	return b, nil
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// registerUser registers user i's account and confirms its email through
// the emailed link, so that LearningHub events for the address reach it.
func (s *system) registerUser(ctx context.Context, i int) error {
	auth, err := s.auth(userKey(i))
	if err != nil {
		return err
	}
	b, err := s.expect(ctx, http.StatusCreated, http.MethodPost, "/api/v1/me/account", auth, "application/json", accountBody(i))
	if err != nil && (b == nil || !strings.Contains(string(b), "already have an HxBC account")) {
		return err // else a retry after an answer that was lost
	}
	tok, err := s.declarationToken(ctx, "email:"+s.personas[i].Subject)
	if err != nil {
		return err
	}
	_, err = s.expect(ctx, http.StatusOK, http.MethodPost, "/api/v1/email-confirmations/"+tok, auth, "", nil)
	return err
}

// registerWorksite has user i register worksite i and returns its ID.
func (s *system) registerWorksite(ctx context.Context, i int) (string, error) {
	auth, err := s.auth(userKey(i))
	if err != nil {
		return "", err
	}
	b, err := s.expect(ctx, http.StatusCreated, http.MethodPost, "/api/v1/worksites", auth, "application/json", worksiteBody(i))
	if err != nil && b != nil && strings.Contains(string(b), `"conflict"`) {
		// A retry after an answer that was lost: the worksite is the user's.
		mine, merr := s.expect(ctx, http.StatusOK, http.MethodGet, "/api/v1/me/worksites", auth, "", nil)
		var ws struct {
			Worksites []struct {
				ID string `json:"worksiteId"`
			} `json:"worksites"`
		}
		if merr == nil && json.Unmarshal(mine, &ws) == nil && len(ws.Worksites) == 1 {
			return ws.Worksites[0].ID, nil
		}
	}
	if err != nil {
		return "", err
	}
	var reg struct {
		Worksite struct {
			ID string `json:"id"`
		} `json:"worksite"`
	}
	if err := json.Unmarshal(b, &reg); err != nil || reg.Worksite.ID == "" {
		return "", fmt.Errorf("register worksite: %s", clip(b))
	}
	return reg.Worksite.ID, nil
}

// apply has user i apply for access at worksite id.
func (s *system) apply(ctx context.Context, i int, id string) error {
	auth, err := s.auth(userKey(i))
	if err != nil {
		return err
	}
	b, err := s.expect(ctx, http.StatusCreated, http.MethodPost, "/api/v1/me/applications", auth, "application/json",
		fmt.Appendf(nil, string(applicationBody), id))
	if err != nil && b != nil && strings.Contains(string(b), `"conflict"`) {
		return nil // a retry after an answer that was lost: the application is there
	}
	return err
}

// signDeclaration signs worksite id's declaration through its emailed link.
func (s *system) signDeclaration(ctx context.Context, id string, form []byte, formType string) error {
	tok, err := s.declarationToken(ctx, id)
	if err != nil {
		return err
	}
	b, err := s.expect(ctx, http.StatusOK, http.MethodPost, "/api/v1/declarations/"+tok, "", formType, form)
	return retried(b, err)
}

// approveWorksite is the team's approval of worksite id.
func (s *system) approveWorksite(ctx context.Context, id string) error {
	team, err := s.auth(devidp.PersonaTeam)
	if err != nil {
		return err
	}
	b, err := s.expect(ctx, http.StatusOK, http.MethodPost, "/api/v1/staff/worksites/"+id+"/approve", team, "application/json", []byte(`{}`))
	return retried(b, err)
}

// callback posts one signed LearningHub callback and returns its status.
func (s *system) callback(ctx context.Context, eventID, typ, email string) (int, error) {
	code := s.cfg.LearningHub.CourseCode
	if typ == learninghub.TypeAgreementAcknowledged {
		code = s.cfg.LearningHub.AgreementCode
	}
	body, _ := json.Marshal(map[string]any{"eventId": eventID, "type": typ, "courseCode": code,
		"learner": map[string]any{"email": email, "learningHubId": "LH-" + eventID}, "occurredAt": "2026-03-01T17:00:00Z"})
	sig := learninghub.Sign([]byte(s.cfg.LearningHub.Secret), time.Now().Unix(), body)
	status, b, err := s.do(ctx, http.MethodPost, "/webhooks/learninghub", "application/json", body, learninghub.Header, sig)
	if err != nil {
		return 0, err
	}
	if status != http.StatusAccepted && status != http.StatusOK {
		return status, fmt.Errorf("learninghub callback %s: got %d %s", eventID, status, clip(b))
	}
	return status, nil
}

// waitApplication polls user i's applications (a read of the status projection) until
// the one at worksite id is in state want.
func (s *system) waitApplication(ctx context.Context, i int, id string, want domain.ApplicationState) error {
	auth, err := s.auth(userKey(i))
	if err != nil {
		return err
	}
	last := ""
	for {
		b, err := s.expect(ctx, http.StatusOK, http.MethodGet, "/api/v1/me/applications", auth, "", nil)
		if err != nil {
			return err
		}
		var out struct {
			Applications []domain.Application `json:"applications"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			return err
		}
		for _, a := range out.Applications {
			if a.Worksite.ID == id {
				last = string(a.State)
				if a.State == want {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("application of user %d at %s: state %q; want %q: %w", i, id, last, want, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// provision is the team's provisioning of user i's application at id.
func (s *system) provision(ctx context.Context, i int, id string) error {
	team, err := s.auth(devidp.PersonaTeam)
	if err != nil {
		return err
	}
	_, err = s.expect(ctx, http.StatusOK, http.MethodPost, "/api/v1/staff/applications/"+s.personas[i].Subject+"/"+id+"/provision",
		team, "application/json", []byte(`{}`))
	return err
}

// journey is one physician's whole enrolment through the HTTP API:
// account, worksite, application, the declaration through the emailed
// link, the team's approval, the course and HPCAA callbacks, and the
// team's provisioning. It returns the worksite ID.
func (s *system) journey(ctx context.Context, i int, form []byte, formType string) (string, error) {
	if err := s.registerUser(ctx, i); err != nil {
		return "", err
	}
	id, err := s.registerWorksite(ctx, i)
	if err != nil {
		return "", err
	}
	if err := s.apply(ctx, i, id); err != nil {
		return id, err
	}
	if err := s.signDeclaration(ctx, id, form, formType); err != nil {
		return id, err
	}
	if err := s.approveWorksite(ctx, id); err != nil {
		return id, err
	}
	email := s.personas[i].Email
	for _, typ := range []string{learninghub.TypeCourseCompleted, learninghub.TypeAgreementAcknowledged} {
		if _, err := s.callback(ctx, fmt.Sprintf("journey-%d-%s", i, typ), typ, email); err != nil {
			return id, err
		}
	}
	if err := s.waitApplication(ctx, i, id, domain.AppReady); err != nil {
		return id, err
	}
	return id, s.provision(ctx, i, id)
}

// retried forgives the conflict a retry meets when the first try's answer was lost.
func retried(body []byte, err error) error {
	if err != nil && body != nil && strings.Contains(string(body), `"conflict"`) {
		return nil
	}
	return err
}
