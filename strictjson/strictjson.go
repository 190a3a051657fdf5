// Package strictjson decodes request bodies strictly: exactly one JSON
// value, no unknown fields, and errors that name the field in words for
// the caller, never Go type names. The API and the LearningHub callback
// parser share it.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"careconnect/domain"
)

// Decode reads exactly one JSON value from body into v. Every failure is an
// EINVALID *domain.Error, with the field named where there is one.
func Decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		if _, terr := dec.Token(); terr != io.EOF {
			return domain.Errorf(domain.EINVALID, "the request body must hold exactly one JSON object")
		}
		return nil
	case errors.Is(err, io.EOF):
		return domain.Errorf(domain.EINVALID, "the request body is empty; send a JSON object")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Errorf(domain.EINVALID, "the request body is not valid JSON")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return domain.Errorf(domain.EINVALID, "the request body must be a JSON object")
		}
		return (domain.FieldErrors{typ.Field: "must be " + kind(typ.Value, typ.Type.Kind().String())}).Err()
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return (domain.FieldErrors{name: "is not a known field"}).Err()
	}
	return domain.Errorf(domain.EINVALID, "the request body is not valid JSON")
}

// kind says in words what JSON type a field wants.
func kind(got, want string) string {
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
