package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
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
func DecodeJSONBytes(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		if dec.More() {
			return domain.Errorf(domain.EINVALID, "the request body must hold exactly one JSON object")
		}
		return nil
	case errors.Is(err, io.EOF):
		return domain.Errorf(domain.EINVALID, "the request body is empty; send a JSON object")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Errorf(domain.EINVALID, "the request body is not valid JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return domain.Errorf(domain.EINVALID, "the request body must be a JSON object")
		}
		return (domain.FieldErrors{field: "must be " + jsonKind(typ.Value, typ.Type.Kind().String())}).Err()
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return (domain.FieldErrors{name: "is not a known field"}).Err()
	}
	return domain.Errorf(domain.EINVALID, "the request body is not valid JSON")
}

func jsonKind(got, want string) string {
	switch want {
	case "string":
		return "a string, not " + got
	case "bool":
		return "true or false, not " + got
	case "struct", "map":
		return "an object, not " + got
	case "slice", "array":
		return "an array, not " + got
	}
	return "a number, not " + got
}
