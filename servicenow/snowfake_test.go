package servicenow

import (
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"strings"
)

// A stateful stand-in for the incident and sys_user tables, answering the
// way a developer instance does (display_value=all renders every field as
// {"display_value","value"}, references with a link), for the write tools.

const (
	janeID  = "0a000000000000000000000000000000"
	bobID   = "0b000000000000000000000000000000"
	inc45ID = "a0000000000000000000000000012345"
	newID   = "c0000000000000000000000000012491"
)

var fakeUsers = []struct{ id, userName, email, name string }{
	{janeID, "jane.smith", "jane.smith@company.com", "Jane Smith"},
	{bobID, "bob.jones", "bob.jones@company.com", "Bob Jones"},
}

// snowFake holds INC0012345; the signed-in user is Jane.
type snowFake struct {
	rec map[string]string
	// computePriority makes priority impact+urgency-1, as ServiceNow's
	// priority lookup does, whatever was written.
	computePriority bool
}

func newSnowFake() *snowFake {
	return &snowFake{rec: map[string]string{
		"sys_id": inc45ID, "number": "INC0012345", "short_description": "VPN connection dropping",
		"description": "VPN drops every <10 min> & reconnects", "priority": "2", "impact": "2", "urgency": "1",
		"state": "2", "category": "network", "assigned_to": janeID, "caller_id": janeID, "opened_by": janeID,
		"opened_at": "2026-01-05 09:00:00", "close_code": "", "close_notes": "",
	}}
}

func (x *snowFake) handle(w http.ResponseWriter, r *http.Request, _ int) {
	q := r.URL.Query()
	switch {
	case r.Method == "GET" && r.URL.Path == "/api/now/table/incident":
		if q.Get("sysparm_query") != "number="+x.rec["number"] {
			reply(w, 200, `{"result":[]}`, "X-Total-Count", "0")
			return
		}
		reply(w, 200, `{"result":[{"sys_id":"`+x.rec["sys_id"]+`"}]}`, "X-Total-Count", "1")
	case r.Method == "GET" && r.URL.Path == "/api/now/table/sys_user":
		var rows []string
		for _, u := range fakeUsers {
			switch q.Get("sysparm_query") {
			case "sys_id=javascript:gs.getUserID()^active=true":
				if u.id != janeID {
					continue
				}
			case "user_name=" + u.userName + "^active=true", "email=" + u.email + "^active=true":
			default:
				continue
			}
			rows = append(rows, `{"sys_id":"`+u.id+`"}`)
		}
		reply(w, 200, `{"result":[`+strings.Join(rows, ",")+`]}`, "X-Total-Count", strconv.Itoa(len(rows)))
	case r.Method == "GET" && r.URL.Path == "/api/now/table/incident/"+x.rec["sys_id"]:
		x.write(w, 200, x.rec, q)
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/api/now/table/incident/"):
		reply(w, 404, `{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}`)
	case r.Method == "PATCH" && r.URL.Path == "/api/now/table/incident/"+x.rec["sys_id"]:
		var body map[string]string
		if json.NewDecoder(r.Body).Decode(&body) != nil {
			reply(w, 400, `{"error":{"message":"Exception while reading request"},"status":"failure"}`)
			return
		}
		x.apply(x.rec, body)
		x.write(w, 200, x.rec, q)
	case r.Method == "POST" && r.URL.Path == "/api/now/table/incident":
		var body map[string]string
		if json.NewDecoder(r.Body).Decode(&body) != nil {
			reply(w, 400, `{"error":{"message":"Exception while reading request"},"status":"failure"}`)
			return
		}
		rec := map[string]string{
			"sys_id": newID, "number": "INC0012491", "short_description": "", "description": "",
			"priority": "5", "impact": "3", "urgency": "3", "state": "1", "category": "inquiry",
			"assigned_to": "", "caller_id": janeID, "opened_by": janeID, "opened_at": "2026-02-01 10:00:00",
			"close_code": "", "close_notes": "",
		}
		x.apply(rec, body)
		w.Header().Set("Location", "https://dev.service-now.com/api/now/table/incident/"+newID)
		x.write(w, 201, rec, q)
	default:
		reply(w, 405, `{"error":{"message":"Method not Supported"},"status":"failure"}`)
	}
}

// apply writes body into rec like ServiceNow: journal fields are not
// columns; unknown fields are ignored.
func (x *snowFake) apply(rec, body map[string]string) {
	for k, v := range body {
		if _, ok := rec[k]; ok {
			rec[k] = v
		}
	}
	if x.computePriority {
		i, _ := strconv.Atoi(rec["impact"])
		u, _ := strconv.Atoi(rec["urgency"])
		rec["priority"] = strconv.Itoa(i + u - 1)
	}
}

func (x *snowFake) write(w http.ResponseWriter, status int, rec map[string]string, q map[string][]string) {
	fields := strings.Split(strings.Join(q["sysparm_fields"], ""), ",")
	all := strings.Join(q["sysparm_display_value"], "") == "all"
	out := map[string]any{}
	for _, f := range fields {
		v, ok := rec[f]
		if !ok {
			continue
		}
		if !all {
			out[f] = v
			continue
		}
		cell := map[string]any{"display_value": displayOf(f, v), "value": v}
		if (f == "assigned_to" || f == "caller_id") && v != "" {
			cell["link"] = "https://dev.service-now.com/api/now/table/sys_user/" + v
		}
		out[f] = cell
	}
	b, _ := json.Marshal(map[string]any{"result": out})
	reply(w, status, string(b))
}

func displayOf(field, v string) string {
	switch field {
	case "state":
		return labelOf(stateChoices, v)
	case "priority":
		return v + " - " + labelOf(priorityChoices, v)
	case "impact", "urgency":
		return v + " - " + labelOf(impactChoices, v)
	case "category":
		return labelOf(categoryChoices, v)
	case "assigned_to", "caller_id":
		for _, u := range fakeUsers {
			if u.id == v {
				return u.name
			}
		}
	}
	return v
}

func (x *snowFake) snapshot() map[string]string { return maps.Clone(x.rec) }
