package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

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
	var acc *domain.Accepted
	if errors.As(err, &acc) {
		// Not an error: the workflow accepted the write, which survives any
		// restart, but did not finish it within the request.
		writeAccepted(c, acc)
		return
	}
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

// AcceptedBody is the body of a 202: a write its workflow accepted (it
// will happen, whatever fails next) but did not finish within the request.
type AcceptedBody struct {
	Accepted AcceptedDetail `json:"accepted"`
}

// AcceptedDetail says what happens next and where to see it.
type AcceptedDetail struct {
	Message   string `json:"message"`
	StatusURL string `json:"statusUrl,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// writeAccepted answers 202 with where to see the write's outcome.
func writeAccepted(c *gin.Context, a *domain.Accepted) {
	if a.StatusURL != "" {
		c.Header("Location", a.StatusURL)
	}
	c.AbortWithStatusJSON(http.StatusAccepted, AcceptedBody{Accepted: AcceptedDetail{Message: a.Message, StatusURL: a.StatusURL,
		RequestID: requestID(c)}})
}
