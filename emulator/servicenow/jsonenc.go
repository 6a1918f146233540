package servicenow

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// appendResult appends the JSON of a Table API result: a record, or a list
// of records, whose values are strings or objects of strings (the only
// shapes render produces). The bytes are exactly what encoding/json gives
// for the same data as maps (sorted keys, SetEscapeHTML(false)); through
// reflection, encoding/json costs more than the database query behind the
// answer.
func appendResult(dst []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case []renderedRecord:
		dst = append(dst, '[')
		for i, rec := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendRecord(dst, rec); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	case renderedRecord:
		return appendRecord(dst, x)
	}
	return dst, false
}

// appendRecord writes rec, whose fields come in name order.
func appendRecord(dst []byte, rec renderedRecord) ([]byte, bool) {
	dst = append(dst, '{')
	for i, f := range rec {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, f.name)
		dst = append(dst, ':')
		switch v := f.value.(type) {
		case string:
			dst = appendJSONString(dst, v)
		case map[string]string:
			var ok bool
			if dst, ok = appendStringMap(dst, v); !ok {
				return dst, false
			}
		default:
			return dst, false
		}
	}
	return append(dst, '}'), true
}

// objectKeys are the keys a rendered value object can have, in order.
var objectKeys = [...]string{"display_value", "link", "value"}

func appendStringMap(dst []byte, m map[string]string) ([]byte, bool) {
	dst = append(dst, '{')
	n := 0
	for _, k := range objectKeys {
		v, ok := m[k]
		if !ok {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendJSONString(dst, v)
	}
	return append(dst, '}'), n == len(m)
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with HTML escaping off:
// '"' and '\\' escaped, control characters as \b \f \n \r \t or \u00XX,
// invalid UTF-8 as \ufffd, U+2028 and U+2029 as \u2028 and \u2029.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// errUnencodable is a rendered value of a shape render never produces.
var errUnencodable = errors.New("servicenow: unencodable result value")

// marshalResponse is the body {"result": result}.
func marshalResponse(result any) ([]byte, error) {
	buf := make([]byte, 0, 8192)
	buf = append(buf, `{"result":`...)
	out, ok := appendResult(buf, result)
	if !ok {
		return nil, errUnencodable
	}
	return append(out, '}'), nil
}

// marshalJSON is encoding/json without HTML escaping or a trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf jsonBuffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := []byte(buf)
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return b, nil
}

type jsonBuffer []byte

func (b *jsonBuffer) Write(p []byte) (int, error) { *b = append(*b, p...); return len(p), nil }
