package awsapi

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
)

var timeType = reflect.TypeFor[time.Time]()

var hasTimeCache sync.Map // reflect.Type -> bool

// hasTime reports whether t reaches a time.Time.
func hasTime(t reflect.Type) bool {
	if v, ok := hasTimeCache.Load(t); ok {
		return v.(bool)
	}
	hasTimeCache.Store(t, false) // breaks recursion through self-referencing types
	r := false
	switch t.Kind() {
	case reflect.Struct:
		if t == timeType {
			r = true
			break
		}
		for i := range t.NumField() {
			if t.Field(i).IsExported() && hasTime(t.Field(i).Type) {
				r = true
				break
			}
		}
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		r = hasTime(t.Elem())
	}
	hasTimeCache.Store(t, r)
	return r
}

// encodeOutput is json.Marshal, except that every time.Time becomes epoch
// seconds: rest-json's default timestamp format, which the AWS SDKs insist
// on (the Go SDK v2 refuses an RFC 3339 string).
func encodeOutput(v any) ([]byte, error) {
	if v == nil {
		return []byte("{}"), nil
	}
	if !hasTime(reflect.TypeOf(v)) {
		return json.Marshal(v)
	}
	return json.Marshal(wire(reflect.ValueOf(v)))
}

// wire converts v to plain JSON values following encoding/json's field
// rules (tags, omitempty, embedded structs), with times as epoch seconds.
func wire(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if v.Type() == timeType {
		t := v.Interface().(time.Time)
		return json.Number(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64))
	}
	if !hasTime(v.Type()) {
		return v.Interface()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return wire(v.Elem())
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = wire(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			out[it.Key().String()] = wire(it.Value())
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		structFields(v, out)
		return out
	}
	return v.Interface()
}

func structFields(v reflect.Value, out map[string]any) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		fv := v.Field(i)
		if f.Anonymous && name == "" {
			ev := fv
			if ev.Kind() == reflect.Pointer {
				if ev.IsNil() {
					continue
				}
				ev = ev.Elem()
			}
			if ev.Kind() == reflect.Struct {
				structFields(ev, out)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(opts, "omitempty") && isEmpty(fv) {
			continue
		}
		if strings.Contains(opts, "omitzero") && fv.IsZero() {
			continue
		}
		out[name] = wire(fv)
	}
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
