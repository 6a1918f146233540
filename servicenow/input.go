package servicenow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// flexString is a tool input that models send either as a JSON string or
// as a number (priority 2 or "2 - High").
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*f = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(strings.TrimSpace(s))
		return nil
	default:
		// A number, or (true, {…}) something no choice list holds: keep its
		// text so the field's own check names the field.
		*f = flexString(shorten(string(b)))
		return nil
	}
}

// inputError is a tool input problem, worded for the model and the user.
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

func invalid(field, format string, args ...any) error {
	return &inputError{msg: fmt.Sprintf("Invalid %s: %s.", field, fmt.Sprintf(format, args...))}
}

// decodeInput reads a tool's JSON input strictly: unknown fields are
// refused, so a model cannot believe it passed a raw "query".
func decodeInput(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage(`{}`)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() {
			return &inputError{msg: "Invalid input: expected one JSON object."}
		}
		return nil
	}
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return invalid(shorten(te.Field), "expected %s", kindName(te.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &inputError{msg: fmt.Sprintf("Unknown input field %q.", shorten(name))}
	}
	return &inputError{msg: "Invalid input: expected a JSON object."}
}

func kindName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.String:
		return "a string or number"
	case reflect.Struct:
		return "a JSON object"
	}
	return "another type"
}
