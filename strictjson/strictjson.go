// Package strictjson decodes request bodies strictly: exactly one JSON
// value, no unknown fields, no key twice in one object, and errors that
// name the field in words for the caller, never Go type names. The API and
// the LearningHub callback parser share it.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode"

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
		if path := duplicateKey(body); path != "" {
			return (domain.FieldErrors{path: "appears more than once; send each field once"}).Err()
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

// duplicateKey returns the dotted path (array positions left out, as
// encoding/json names fields) of the first key that appears twice in one
// object of body, or "" when none does. body is one valid JSON value.
//
// encoding/json keeps the last of two equal keys and other parsers the
// first, so a body with both could mean one thing to a proxy or a log and
// another to us; it is refused instead, at any depth. Keys are compared as
// encoding/json matches them to struct fields, without regard to case
// ("name" and "NAME" fill the same field), and after unescaping.
func duplicateKey(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	path, _ := scanValue(dec, "")
	return path
}

// scanValue reads the value at the decoder's position, whose path is path,
// and returns the path of the first duplicate key in it.
func scanValue(dec *json.Decoder, path string) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return "", err
			}
			key, _ := k.(string)
			at := key
			if path != "" {
				at = path + "." + key
			}
			f := foldKey(key)
			if seen[f] {
				return at, nil
			}
			seen[f] = true
			if dup, err := scanValue(dec, at); dup != "" || err != nil {
				return dup, err
			}
		}
		_, err = dec.Token() // '}'
		return "", err
	case json.Delim('['):
		for dec.More() {
			if dup, err := scanValue(dec, path); dup != "" || err != nil {
				return dup, err
			}
		}
		_, err = dec.Token() // ']'
		return "", err
	}
	return "", nil
}

// foldKey maps every rune of k to the smallest rune it case-folds with, so
// that keys equal without regard to case (including Unicode's K and the
// Kelvin sign, as encoding/json folds them) map to one string.
func foldKey(k string) string {
	return strings.Map(func(r rune) rune {
		low := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			low = min(low, f)
		}
		return low
	}, k)
}
