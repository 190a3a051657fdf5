package temporal_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/api/serviceerror"
	sdktemporal "go.temporal.io/sdk/temporal"

	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/enrolment/temporal"
)

// TestDomainError: each way the workflow service fails becomes the domain
// error the caller is answered with.
func TestDomainError(t *testing.T) {
	dbDown := fmt.Errorf("%w: %v", &domain.Error{Code: domain.EUNAVAILABLE, Message: "the database is unavailable; try again shortly"},
		errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"))
	cases := []struct {
		name       string
		err        error
		code       string
		message    string
		field      string // a field error carried as the details
		noWorkflow bool
	}{
		{"none", nil, "", "", "", false},
		// A validator's refusal: its code and words, and its fields.
		{"a validator's conflict", sdktemporal.NewApplicationError("already signed", domain.ECONFLICT), domain.ECONFLICT, "already signed", "", false},
		{"a validator's field error", sdktemporal.NewApplicationError("the request has invalid fields", domain.EINVALID,
			map[string]string{"reason": "is required"}), domain.EINVALID, "the request has invalid fields", "reason", false},
		// Its own "not found" is not a missing workflow.
		{"a validator's not found", sdktemporal.NewApplicationError("no pending join request", domain.ENOTFOUND), domain.ENOTFOUND,
			"no pending join request", "", false},
		// An internal code or one not ours is never shown.
		{"an internal application error", sdktemporal.NewApplicationError("nil map", domain.EINTERNAL), domain.EINTERNAL, "internal error", "", false},
		{"an unknown type", sdktemporal.NewApplicationError("boom", "PanicError"), domain.EINTERNAL, "internal error", "", false},
		{"a finished workflow", serviceerror.NewNotFound("workflow execution already completed"), domain.ENOTFOUND,
			"no enrolment workflow found for this record", "", true},
		{"a second start", serviceerror.NewWorkflowExecutionAlreadyStarted("started", "", ""), domain.ECONFLICT,
			"this enrolment is already running", "", false},
		{"unavailable", serviceerror.NewUnavailable("no frontend"), domain.EUNAVAILABLE, "the workflow service is unavailable; try again shortly", "", false},
		{"the service's deadline", serviceerror.NewDeadlineExceeded("slow"), domain.EUNAVAILABLE, "the workflow service is unavailable; try again shortly", "", false},
		{"the request's deadline", fmt.Errorf("update: %w", context.DeadlineExceeded), domain.EUNAVAILABLE,
			"the workflow service is unavailable; try again shortly", "", false},
		{"connection refused", errors.New("dial tcp 127.0.0.1:7233: connect: connection refused"), domain.EUNAVAILABLE,
			"the workflow service is unavailable; try again shortly", "", false},
		// Already a domain error (the database): passed on, not blamed on Temporal.
		{"the database down", dbDown, domain.EUNAVAILABLE, "the database is unavailable; try again shortly", "", false},
	}
	for _, c := range cases {
		got := temporal.DomainError(c.err)
		if domain.ErrorCode(got) != c.code || domain.ErrorMessage(got) != c.message {
			t.Errorf("%s: %v; want %q %q", c.name, got, c.code, c.message)
		}
		var de *domain.Error
		if c.field != "" && (!errors.As(got, &de) || de.Fields[c.field] == "") {
			t.Errorf("%s: %v; want the field %s", c.name, got, c.field)
		}
		if errors.Is(got, enrolment.ErrNoWorkflow) != c.noWorkflow {
			t.Errorf("%s: ErrNoWorkflow %v; want %v", c.name, errors.Is(got, enrolment.ErrNoWorkflow), c.noWorkflow)
		}
	}
}
