package awsapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Validation reasons (ValidationExceptionReason).
const (
	reasonCannotParse           = "CannotParse"
	reasonFieldValidationFailed = "FieldValidationFailed"
)

// fieldError is one ValidationExceptionField. Message never quotes the
// value: it may be a secret.
type fieldError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

// validator checks a decoded request body against one service's shapes.
type validator struct {
	shapes map[string]*shape
	errs   []fieldError
	parse  bool // a member had the wrong JSON type
}

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, fieldError{Name: path, Message: fmt.Sprintf(format, args...)})
}

// decodeInput parses body as the operation's input: valid JSON, one object,
// every constraint of the model met, every member known to the model or to
// the Go type of into (an onbehalf extension, validated by the broker), and
// no model member the Go type would drop. It fills into and returns nil, or
// returns the ValidationException to send.
func decodeInput(svc *serviceModel, op *operationModel, body []byte, into any) *apiError {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	raw, err := parseJSON(body)
	if err != nil {
		return validationError(reasonCannotParse, "request body is not one valid JSON value", nil)
	}
	v := &validator{shapes: svc.Shapes}
	v.check("", op.Input, raw, reflect.TypeOf(into).Elem())
	if len(v.errs) > 0 {
		slices.SortStableFunc(v.errs, func(a, b fieldError) int { return strings.Compare(a.Name, b.Name) })
		reason := reasonFieldValidationFailed
		if v.parse {
			reason = reasonCannotParse
		}
		return validationError(reason, "", v.errs)
	}
	if err := assign(reflect.ValueOf(into).Elem(), raw); err != nil {
		// A type assign does not handle: let encoding/json do it.
		if err := json.Unmarshal(body, into); err != nil {
			// The model accepted it, so the Go type disagrees with the model.
			return validationError(reasonCannotParse, "request body does not match the operation's input", nil)
		}
	}
	return nil
}

// check validates value (a decoded JSON value, numbers as json.Number)
// against the named shape and the Go type it will be stored in (nil when
// the Go side takes it as it comes). JSON null counts as absent.
func (v *validator) check(path, shapeName string, value any, goType reflect.Type) {
	sh := v.shapes[shapeName]
	if value == nil {
		return
	}
	at := path
	if at == "" {
		at = "body"
	}
	goType = structural(goType)
	switch sh.Type {
	case "structure":
		obj, ok := value.(map[string]any)
		if !ok {
			v.typeMismatch(at, "a structure")
			return
		}
		var fields map[string]field
		if goType != nil && goType.Kind() == reflect.Struct {
			fields = jsonFields(goType)
		}
		set := 0
		for name, mv := range obj {
			m, known := sh.Members[name]
			f, inGo := fields[name]
			switch {
			case !known && inGo:
				continue // an onbehalf extension: the broker validates it
			case !known:
				v.fail(join(path, name), "Member is not defined by the service model")
				continue
			case fields != nil && !inGo && mv != nil:
				v.fail(join(path, name), "Member is not supported by this broker")
				continue
			}
			if mv != nil {
				set++
			}
			v.check(join(path, name), m.Shape, mv, f.typ)
		}
		for _, name := range sh.Required {
			if obj[name] == nil {
				v.fail(join(path, name), "Member must not be null")
			}
		}
		if sh.Union && set != 1 {
			v.fail(at, "Member must have exactly one member set, got %d", set)
		}
	case "list":
		arr, ok := value.([]any)
		if !ok {
			v.typeMismatch(at, "a list")
			return
		}
		v.length(at, sh, len(arr))
		for i, e := range arr {
			if e == nil {
				v.fail(fmt.Sprintf("%s[%d]", at, i), "Member must not be null")
				continue
			}
			v.check(fmt.Sprintf("%s[%d]", at, i), sh.Member, e, elem(goType))
		}
	case "map":
		obj, ok := value.(map[string]any)
		if !ok {
			v.typeMismatch(at, "a map")
			return
		}
		v.length(at, sh, len(obj))
		for k, e := range obj {
			v.check(at+".key", sh.Key, k, nil)
			if e == nil {
				v.fail(at+"."+k, "Member must not be null")
				continue
			}
			v.check(at+"."+k, sh.Value, e, elem(goType))
		}
	case "string":
		s, ok := value.(string)
		if !ok {
			v.typeMismatch(at, "a string")
			return
		}
		v.length(at, sh, utf8.RuneCountInString(s))
		if sh.re != nil && !sh.re.MatchString(s) {
			v.fail(at, "Member must satisfy regular expression pattern: %s", sh.Pattern)
		}
		if len(sh.Enum) > 0 && !slices.Contains(sh.Enum, s) {
			v.fail(at, "Member must satisfy enum value set: [%s]", strings.Join(sh.Enum, ", "))
		}
	case "integer", "long":
		n, ok := value.(json.Number)
		if !ok {
			v.typeMismatch(at, "an integer")
			return
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || (sh.Type == "integer" && int64(int32(i)) != i) {
			v.typeMismatch(at, "an integer")
			return
		}
		if sh.Min != nil && float64(i) < *sh.Min {
			v.fail(at, "Member must have value greater than or equal to %d", int64(*sh.Min))
		}
		if sh.Max != nil && float64(i) > *sh.Max {
			v.fail(at, "Member must have value less than or equal to %d", int64(*sh.Max))
		}
	case "double", "float":
		if _, ok := value.(json.Number); !ok {
			v.typeMismatch(at, "a number")
		}
	case "boolean":
		if _, ok := value.(bool); !ok {
			v.typeMismatch(at, "a boolean")
		}
	case "timestamp":
		switch value.(type) {
		case json.Number, string:
		default:
			v.typeMismatch(at, "a timestamp")
		}
	case "blob":
		if _, ok := value.(string); !ok {
			v.typeMismatch(at, "a base64 string")
		}
	default:
		v.fail(at, "Member has an unsupported type")
	}
}

func (v *validator) typeMismatch(at, want string) {
	v.parse = true
	v.fail(at, "Member must be %s", want)
}

func (v *validator) length(at string, sh *shape, n int) {
	if sh.Min != nil && float64(n) < *sh.Min {
		v.fail(at, "Member must have length greater than or equal to %d", int64(*sh.Min))
	}
	if sh.Max != nil && float64(n) > *sh.Max {
		v.fail(at, "Member must have length less than or equal to %d", int64(*sh.Max))
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// structural is t without pointers, or nil when t does not constrain the
// members (nil, interfaces, json.RawMessage and other byte slices).
func structural(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || (t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8) {
		return nil
	}
	return t
}

// elem is the element type of a Go slice, array or map, or nil.
func elem(t reflect.Type) reflect.Type {
	if t == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return t.Elem()
	}
	return nil
}

// field is one JSON member of a Go struct: its type and where it is.
type field struct {
	typ   reflect.Type
	index []int
}

var fieldCache sync.Map // reflect.Type -> map[string]field

// jsonFields maps t's JSON member names (encoding/json rules: tags,
// embedded structs, outer fields first) to their fields.
func jsonFields(t reflect.Type) map[string]field {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]field)
	}
	out := map[string]field{}
	var embedded []map[string]field
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			inner := map[string]field{}
			for k, v := range jsonFields(f.Type) {
				inner[k] = field{typ: v.typ, index: append([]int{i}, v.index...)}
			}
			embedded = append(embedded, inner)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = field{typ: f.Type, index: []int{i}}
	}
	for _, inner := range embedded {
		for k, v := range inner {
			if _, dup := out[k]; !dup {
				out[k] = v
			}
		}
	}
	fieldCache.Store(t, out)
	return out
}
