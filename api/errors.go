package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"careconnect/domain"
)

// statusOf is the one table from domain error codes to HTTP statuses.
var statusOf = map[string]int{
	domain.EINVALID:       http.StatusBadRequest,
	domain.EUNAUTHORIZED:  http.StatusUnauthorized,
	domain.EFORBIDDEN:     http.StatusForbidden,
	domain.ENOTFOUND:      http.StatusNotFound,
	domain.ECONFLICT:      http.StatusConflict,
	domain.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	domain.EUNAVAILABLE:   http.StatusServiceUnavailable,
	domain.ERATELIMITED:   http.StatusTooManyRequests,
	domain.EINTERNAL:      http.StatusInternalServerError,
}

// ErrorBody is every error response's JSON body.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong in words safe for the caller.
type ErrorDetail struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"requestId,omitempty"`
}

// writeError writes err as the one error body. Internal errors are logged
// and shown only as "internal error" with the request ID to quote.
func writeError(c *gin.Context, log *slog.Logger, err error) {
	err = fromTemporal(err)
	code := domain.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		code, status = domain.EINTERNAL, http.StatusInternalServerError
	}
	body := ErrorDetail{Code: code, Message: domain.ErrorMessage(err), RequestID: requestID(c)}
	var de *domain.Error
	if errors.As(err, &de) {
		body.Fields = de.Fields
	}
	switch code {
	case domain.EINTERNAL:
		body.Message = "internal error; quote the request ID to the CareConnect team"
		log.Error("internal error", "request_id", body.RequestID, "route", c.FullPath(), "error", err)
	case domain.EUNAUTHORIZED: // RFC 9110: a 401 carries a challenge
		c.Header("WWW-Authenticate", `Bearer realm="careconnect"`)
	case domain.EUNAVAILABLE:
		c.Header("Retry-After", "5")
		log.Warn("dependency unavailable", "request_id", body.RequestID, "route", c.FullPath(), "error", err)
	}
	c.AbortWithStatusJSON(status, ErrorBody{Error: body})
}

// fromTemporal maps Temporal client errors to domain errors. A rejected
// update's validator error arrives as an application error whose type is
// a domain code (see workflows.appErr).
func fromTemporal(err error) error {
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	var ours *domain.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ours):
		// Already ours, e.g. the database is unavailable: its text may
		// say "connection refused" too, but it is not about Temporal.
		return err
	case errors.As(err, &appErr):
		if _, known := statusOf[appErr.Type()]; known && appErr.Type() != domain.EINTERNAL {
			de := &domain.Error{Code: appErr.Type(), Message: appErr.Message()}
			if appErr.HasDetails() {
				_ = appErr.Details(&de.Fields) // field errors travel as the details
			}
			return de
		}
	case errors.As(err, &notFound):
		return domain.Errorf(domain.ENOTFOUND, "no enrolment workflow found for this record")
	case errors.As(err, &already):
		return domain.Errorf(domain.ECONFLICT, "this enrolment is already running")
	case errors.As(err, &unavailable), errors.As(err, &deadline), errors.Is(err, context.DeadlineExceeded):
		return errors.Join(domain.Errorf(domain.EUNAVAILABLE, "the workflow service is unavailable; try again shortly"), err)
	case strings.Contains(err.Error(), "connection refused"):
		return errors.Join(domain.Errorf(domain.EUNAVAILABLE, "the workflow service is unavailable; try again shortly"), err)
	}
	return err
}
