package activities_test

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"

	"careconnect/activities"
	"careconnect/domain"
)

// fakeStore records projection writes and fails them with err.
type fakeStore struct {
	writes []domain.Projection
	err    error
}

func (s *fakeStore) ApplyProjection(_ context.Context, p domain.Projection) (domain.ProjectResult, error) {
	if s.err != nil {
		return domain.ProjectResult{}, s.err
	}
	s.writes = append(s.writes, p)
	return domain.ProjectResult{}, nil
}

// wakes counts Wake calls.
type wakes int

func (w *wakes) Wake() { *w++ }

// Project wakes the relay once a write has stored emails or notices, so
// they go out at once; a write without them, or one that failed, does not.
// A missing record is final (no retry mends it); an outage is retried.
func TestProjectWakesTheOutbox(t *testing.T) {
	email := domain.Email{Worksite: &domain.WorksiteEmail{Key: "worksite/K4T6CLP/worksite_approved/1"}}
	notice := domain.MembershipNotice{Key: "worksite/K4T6CLP/notice/1/sub", Subject: "sub"}
	cases := []struct {
		name      string
		p         domain.Projection
		err       error
		wantWakes int
		final     bool
	}{
		{"an email", domain.Projection{Emails: []domain.Email{email}}, nil, 1, false},
		{"a notice", domain.Projection{Notices: []domain.MembershipNotice{notice}}, nil, 1, false},
		{"status only", domain.Projection{Worksite: &domain.WorksiteStatus{WorksiteID: "K4T6CLP"}}, nil, 0, false},
		{"the database down", domain.Projection{Emails: []domain.Email{email}},
			domain.Errorf(domain.EUNAVAILABLE, "the database is unavailable"), 0, false},
		{"an unknown worksite", domain.Projection{Emails: []domain.Email{email}}, domain.Errorf(domain.ENOTFOUND, "not found"), 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var w wakes
			a := &activities.Activities{Store: &fakeStore{err: c.err}, Outbox: &w}
			_, err := a.Project(context.Background(), c.p)
			if (err != nil) != (c.err != nil) {
				t.Fatalf("Project = %v; want error %v", err, c.err)
			}
			var app *temporal.ApplicationError
			if final := errors.As(err, &app) && app.NonRetryable(); final != c.final {
				t.Errorf("error %v final = %v; want %v", err, final, c.final)
			}
			if int(w) != c.wantWakes {
				t.Errorf("woke the relay %d times; want %d", w, c.wantWakes)
			}
		})
	}
}
