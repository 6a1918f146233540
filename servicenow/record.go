package servicenow

import (
	"encoding/json"
	"fmt"
)

// Record is one row as ServiceNow returns it: each value a string, or for
// reference fields (and with sysparm_display_value=all) an object with
// "display_value", "value" and "link".
type Record map[string]any

// Display returns field's display value: the "display_value" of an object,
// the string itself otherwise, "" when absent.
func (r Record) Display(field string) string { return r.pick(field, "display_value") }

// Value returns field's stored value: the "value" of an object (a sys_id
// for references), the string itself otherwise, "" when absent.
func (r Record) Value(field string) string { return r.pick(field, "value") }

func (r Record) pick(field, key string) string {
	switch v := r[field].(type) {
	case nil:
		return ""
	case string:
		return v
	case map[string]any:
		if s, ok := v[key].(string); ok {
			return s
		}
		if key == "display_value" {
			// A reference without display value: fall back to the sys_id.
			s, _ := v["value"].(string)
			return s
		}
		return ""
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	default:
		return ""
	}
}
