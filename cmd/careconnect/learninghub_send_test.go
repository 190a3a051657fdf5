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

// TestLearningHubSendKeyRing: with learninghub.keys, the command signs with
// the active key and names it (kid=), so the API picks that key; with
// learninghub.secret alone it sends LearningHub's form without kid.
func TestLearningHubSendKeyRing(t *testing.T) {
	const oldSecret, newSecret = "9f3c1a7e5b2d4c6a8e0f1b3d5a7c9e2f4b6d8a0c2e4f6a8b0d2f4a6c8e0b2d4f", "q7L2vX9kR4mN8pT1wZ5cB3hJ6fD0sG8aY2uE4iO7nK1="
	var header string
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header = r.Header.Get(learninghub.Header)
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	send := func() {
		t.Helper()
		var out bytes.Buffer
		if err := learningHubSend([]string{"--url", srv.URL, "--email", "pat@example.ca"}, &out); err != nil {
			t.Fatalf("learninghub-send: %v\n%s", err, out.String())
		}
	}
	t.Setenv("CARECONNECT_CONFIG", "")
	send()
	if strings.Contains(header, "kid=") {
		t.Errorf("with learninghub.secret alone: header %q; want LearningHub's form, without kid", header)
	}

	t.Setenv("CARECONNECT_LEARNINGHUB_SECRET", "")
	t.Setenv("CARECONNECT_LEARNINGHUB_KEYS", "default:"+oldSecret+",2026b:"+newSecret)
	t.Setenv("CARECONNECT_LEARNINGHUB_ACTIVE_KEY", "2026b")
	send()
	sh, err := learninghub.ParseSignatureHeader(header)
	if err != nil || sh.KeyID != "2026b" {
		t.Fatalf("with learninghub.keys: header %q (%+v, %v); want kid=2026b", header, sh, err)
	}
	ring, err := learninghub.NewKeyring("2026b", learninghub.Key{ID: "2026b", Secret: newSecret})
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Verify(header, body, time.Now(), time.Minute); err != nil {
		t.Errorf("header %q under the active key: %v; want it to verify", header, err)
	}
	if err := learninghub.Verify([]byte(oldSecret), strings.Replace(header, ",kid=2026b", "", 1), body, time.Now(), time.Minute); err == nil {
		t.Errorf("header %q verifies under the old key; want the active key's MAC only", header)
	}
}
