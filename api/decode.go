package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/strictjson"
)

// maxJSONBody bounds JSON request bodies.
const maxJSONBody = 64 << 10

// decodeJSON reads one JSON object into v. Unknown fields, trailing data,
// wrong types and oversize bodies become EINVALID errors that name the
// field, in words that do not leak Go types.
func decodeJSON(c *gin.Context, v any) error {
	if ct := c.ContentType(); ct != "application/json" {
		return &domain.Error{Code: domain.EINVALID, Message: "the request body must be JSON (Content-Type: application/json)"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return domain.Errorf(domain.EINVALID, "the request body is larger than %d KiB", maxJSONBody>>10)
		}
		return domain.Errorf(domain.EINVALID, "the request body could not be read")
	}
	return DecodeJSONBytes(body, v)
}

// DecodeJSONBytes is decodeJSON's parser, exported for fuzzing and tests.
func DecodeJSONBytes(body []byte, v any) error { return strictjson.Decode(body, v) }

// caller is who calls, for the application layer.
func caller(c *gin.Context) enrolment.Caller {
	return enrolment.Caller{Principal: principal(c), RequestID: requestID(c)}
}

// jsonInput is the request's JSON body as a use case reads it (decodeJSON).
func jsonInput(c *gin.Context) enrolment.Input {
	return func(v any) error { return decodeJSON(c, v) }
}

// optionalJSONInput is jsonInput for a body that may be left out: an
// empty body leaves v as it is.
func optionalJSONInput(c *gin.Context) enrolment.Input {
	return func(v any) error {
		if c.Request.ContentLength == 0 {
			return nil
		}
		return decodeJSON(c, v)
	}
}
