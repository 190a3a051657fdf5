package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"careconnect/config"
	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/links"
)

// TestReferenceLabelsNameProfessions: the label table the portal reads
// (the one the emails use) names each configured profession, so that a
// profession reads the same in the portal and in an email.
func TestReferenceLabelsNameProfessions(t *testing.T) {
	cfg := config.Default()
	for i, p := range cfg.Policy.Professions {
		if p.Code == domain.ProfRegisteredNurse {
			cfg.Policy.Professions[i].Label = "Registered Nurse (BCCNM)" // a configured label
		}
	}
	signer, err := links.NewSigner(cfg.Links.Secret)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Deps{Config: cfg, App: enrolment.New(enrolment.Deps{Config: cfg, Links: signer})})
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/reference", nil))
	var ref struct {
		Labels domain.Labels `json:"labels"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &ref); err != nil || w.Code != http.StatusOK {
		t.Fatalf("reference: %d %v", w.Code, err)
	}
	for code, want := range map[string]string{domain.ProfRegisteredNurse: "Registered Nurse (BCCNM)", domain.ProfPhysician: "Physician"} {
		if got := ref.Labels.Professions[code]; got != want {
			t.Errorf("labels.professions[%s] = %q; want %q", code, got, want)
		}
	}
}
