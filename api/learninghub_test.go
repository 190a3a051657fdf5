package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"careconnect/config"
	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/enrolment/enrolmenttest"
	"careconnect/learninghub"
)

// failingLearningHubStore fails to store; any other call panics
// (enrolmenttest's fakes), which the server answers with 500.
type failingLearningHubStore struct {
	enrolmenttest.Store
	err   error
	calls int
}

func newFailingLearningHubStore(err error) *failingLearningHubStore {
	f := &failingLearningHubStore{err: err}
	f.RecordLearningHubEventFn = func(context.Context, domain.LearningHubEvent) (bool, error) {
		f.calls++
		return false, f.err
	}
	return f
}

// A callback that cannot be stored is never acknowledged: 503 (so
// LearningHub retries), whatever the storage error; and a refused
// signature never reaches the store.
func TestLearningHubStoreFailure(t *testing.T) {
	cfg := config.Default()
	body := []byte(`{"eventId":"e1","type":"course.completed","courseCode":"CC-PRIVACY-COMMUNITY",` +
		`"learner":{"email":"a@example.ca","learningHubId":"LH-1"},"occurredAt":"2026-03-01T17:00:00Z"}`)
	post := func(s *Server, header string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/learninghub", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(learninghub.Header, header)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w
	}
	ring, err := learninghub.NewKeyring(learninghub.DefaultKeyID, learninghub.Key{ID: learninghub.DefaultKeyID, Secret: cfg.LearningHub.Secret})
	if err != nil {
		t.Fatal(err)
	}
	signed := learninghub.Sign([]byte(cfg.LearningHub.Secret), time.Now().Unix(), body)
	cases := []struct {
		name string
		err  error
	}{
		{"database down", &domain.Error{Code: domain.EUNAVAILABLE, Message: "the database is unavailable"}},
		{"unexpected error", errors.New("store: disk full")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := newFailingLearningHubStore(tc.err)
			s := New(Deps{Config: cfg, App: enrolment.New(enrolment.Deps{Config: cfg, Store: &st.Store, LearningHub: ring})})
			if w := post(s, signed); w.Code != http.StatusServiceUnavailable || !bytes.Contains(w.Body.Bytes(), []byte(`"unavailable"`)) {
				t.Errorf("got %d %s; want 503 unavailable", w.Code, w.Body)
			}
			st.calls = 0
			if w := post(s, learninghub.Sign([]byte("wrong-secret"), time.Now().Unix(), body)); w.Code != http.StatusUnauthorized || st.calls != 0 {
				t.Errorf("bad signature: got %d, %d store calls; want 401 and none", w.Code, st.calls)
			}
		})
	}
}
