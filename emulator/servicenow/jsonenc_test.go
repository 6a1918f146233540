package servicenow

import (
	"bytes"
	"slices"
	"testing"
)

// The hand-written encoder must give exactly encoding/json's bytes for the
// same data as maps.
func TestResultEncoderMatchesEncodingJSON(t *testing.T) {
	tricky := []string{
		"", "plain", `quote " and \ backslash`, "line\nbreak\r\ttab", "\b\f\x00\x01\x1f\x7f",
		"<html> & 'apos'", "ünïcödé ✓ 😀", "bad \xff utf8 \xc3", "sep \u2028 and \u2029",
		"2025-06-02 09:30:00 - Jane Smith (Additional comments)\ntext\n\n",
	}
	var recs []renderedRecord
	var maps []map[string]any
	for i, s := range tricky {
		m := map[string]any{
			"z_" + s: s,
			"a":      map[string]string{"value": s, "display_value": tricky[(i+1)%len(tricky)], "link": "x"},
			"b":      map[string]string{"value": s},
		}
		maps = append(maps, m)
		var rec renderedRecord
		for k, v := range m {
			rec = append(rec, renderedField{k, v})
		}
		slices.SortFunc(rec, func(x, y renderedField) int { return bytes.Compare([]byte(x.name), []byte(y.name)) })
		recs = append(recs, rec)
	}
	cases := []struct {
		got  any
		want any
	}{{recs, maps}, {recs[3], maps[3]}, {[]renderedRecord{}, []map[string]any{}}}
	for _, c := range cases {
		got, err := marshalResponse(c.got)
		if err != nil {
			t.Fatal(err)
		}
		want, err := marshalJSON(map[string]any{"result": c.want})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("encoder differs:\n got  %s\n want %s", got, want)
		}
	}
	if _, err := marshalResponse(renderedRecord{{"x", map[string]string{"other": "y"}}}); err == nil {
		t.Error("a value object with an unknown key was encoded")
	}
}
