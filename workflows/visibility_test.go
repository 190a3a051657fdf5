package workflows_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"careconnect/domain"
	"careconnect/workflows"
)

// upserts counts a test environment's search attribute upserts, by the
// workflow time they happened at.
type upserts struct {
	mu sync.Mutex
	at []time.Duration
}

func countUpserts(env *testsuite.TestWorkflowEnvironment, start time.Time) *upserts {
	u := &upserts{}
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(mock.Arguments) {
		u.mu.Lock()
		defer u.mu.Unlock()
		u.at = append(u.at, env.Now().Sub(start))
	}).Return(nil).Maybe()
	return u
}

func (u *upserts) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.at)
}

// A workflow started with its start attributes (workflows.StartAttributes)
// shows in its first task what they show, so that task upserts nothing;
// started without them, it upserts. Each worksite type's start, and a
// person's first sign-in.
func TestStartAttributesSpareTheFirstUpsert(t *testing.T) {
	for _, lt := range []domain.LocationType{domain.CommunityPrivatePractice, domain.NoClinicalApps, domain.HealthAuthorityClinic} {
		for _, withAttributes := range []bool{true, false} {
			h := newHarness(t)
			in := h.input(lt)
			u := countUpserts(h.env, h.start)
			if withAttributes {
				sa, ok := workflows.StartAttributes(workflows.WorksiteWorkflowName, []any{in})
				if !ok {
					t.Fatalf("%s: no start attributes for a worksite", lt)
				}
				if err := h.env.SetTypedSearchAttributesOnStart(sa); err != nil {
					t.Fatal(err)
				}
			}
			h.env.RegisterDelayedCallback(h.env.CancelWorkflow, time.Hour)
			h.env.ExecuteWorkflow(workflows.WorksiteWorkflowName, in)
			if want := map[bool]int{true: 0, false: 1}[withAttributes]; u.count() != want {
				t.Errorf("%s, start attributes %v: %d upserts in the first hour; want %d", lt, withAttributes, u.count(), want)
			}
		}
	}

	for _, withAttributes := range []bool{true, false} {
		h := newUserHarness(t, defaultStart)
		u := countUpserts(h.env, h.start)
		if withAttributes {
			sa, ok := workflows.StartAttributes(workflows.UserWorkflowName, []any{userInput(domain.DefaultSchedule())})
			if !ok {
				t.Fatal("no start attributes for a person")
			}
			if err := h.env.SetTypedSearchAttributesOnStart(sa); err != nil {
				t.Fatal(err)
			}
		}
		h.runUntil(userInput(domain.DefaultSchedule()), time.Hour)
		if want := map[bool]int{true: 0, false: 1}[withAttributes]; u.count() != want {
			t.Errorf("person, start attributes %v: %d upserts after the sign-in; want %d", withAttributes, u.count(), want)
		}
	}
	if _, ok := workflows.StartAttributes("SomethingElse", nil); ok {
		t.Error("start attributes for an unknown workflow type")
	}
}
