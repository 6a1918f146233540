package awsapi

import (
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
)

// errAssign makes decodeInput fall back to encoding/json.
var errAssign = errors.New("awsapi: cannot assign")

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// assign stores a decoded JSON value (numbers as json.Number) into dst the
// way json.Unmarshal would for the plain types the broker's inputs use, so
// that a request body is scanned once. Member names match exactly (the
// validator already refused any other spelling). Types it does not handle
// (custom unmarshalers, …) return errAssign.
func assign(dst reflect.Value, v any) error {
	if v == nil {
		return nil
	}
	t := dst.Type()
	if t.Kind() != reflect.Pointer && (reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)) {
		return errAssign
	}
	switch t.Kind() {
	case reflect.Pointer:
		if dst.IsNil() {
			dst.Set(reflect.New(t.Elem()))
		}
		return assign(dst.Elem(), v)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return errAssign
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return errAssign
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			return errAssign
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || dst.OverflowInt(i) {
			return errAssign
		}
		dst.SetInt(i)
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			return errAssign
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return errAssign
		}
		dst.SetFloat(f)
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok || t.Elem().Kind() == reflect.Uint8 { // []byte is base64 in JSON
			return errAssign
		}
		s := reflect.MakeSlice(t, len(arr), len(arr))
		for i, e := range arr {
			if err := assign(s.Index(i), e); err != nil {
				return err
			}
		}
		dst.Set(s)
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			return errAssign
		}
		m := reflect.MakeMapWithSize(t, len(obj))
		for k, e := range obj {
			ev := reflect.New(t.Elem()).Elem()
			if err := assign(ev, e); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
		}
		dst.Set(m)
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return errAssign
		}
		fields := jsonFields(t)
		for name, e := range obj {
			f, ok := fields[name]
			if !ok {
				continue
			}
			fv, err := dst.FieldByIndexErr(f.index)
			if err != nil {
				return errAssign // through a nil embedded pointer
			}
			if err := assign(fv, e); err != nil {
				return err
			}
		}
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return errAssign
		}
		dst.Set(reflect.ValueOf(v))
	default:
		return errAssign
	}
	return nil
}
