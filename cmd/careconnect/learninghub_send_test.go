package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"careconnect/config"
	"careconnect/learninghub"
)

// TestLearningHubSend: the command posts a body that verifies under the
// configured secret and parses as an event of the requested type.
func TestLearningHubSend(t *testing.T) {
	var got learninghub.Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/webhooks/learninghub" {
			http.Error(w, "wrong path", http.StatusNotFound)
			return
		}
		if err := learninghub.Verify([]byte(config.DevLearningHubSecret), r.Header.Get(learninghub.Header), body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var err error
		if got, err = learninghub.ParseEvent(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"status":"accepted"}`))
	}))
	defer srv.Close()
	t.Setenv("CARECONNECT_CONFIG", "")
	var out bytes.Buffer
	err := learningHubSend([]string{"--url", srv.URL, "--email", "Pat@Example.ca", "--type", learninghub.TypeAgreementAcknowledged,
		"--event-id", "evt-cli"}, &out)
	if err != nil {
		t.Fatalf("learninghub-send: %v\n%s", err, out.String())
	}
	if got.EventID != "evt-cli" || got.Type != learninghub.TypeAgreementAcknowledged || got.CourseCode != config.Default().LearningHub.AgreementCode ||
		got.Learner.Email != "pat@example.ca" {
		t.Errorf("sent %+v; want evt-cli, the HPCAA code, pat@example.ca", got)
	}
	if !strings.Contains(out.String(), "202") || !strings.Contains(out.String(), "accepted") {
		t.Errorf("printed %q; want the status and the answer", out.String())
	}
	if err := learningHubSend([]string{"--url", srv.URL, "--email", "x@example.ca", "--type", "nope"}, &out); err == nil {
		t.Error("an unknown --type was accepted")
	}
}
