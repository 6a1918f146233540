package servicenow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/onbehalf/onbehalf/emulator/servicenow"
)

// One incident with sysparm_display_value=true: the shape an agent gets.
func Example() {
	srv, err := servicenow.New(context.Background(), servicenow.Config{
		BaseURL:       "http://127.0.0.1:8083",
		AdminPassword: "example-only",
		SeedDev:       true,
		Now:           func() time.Time { return time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC) },
		Logger:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	req := httptest.NewRequest(http.MethodGet,
		"/api/now/table/incident?sysparm_query=number=INC0012345&sysparm_display_value=true", nil)
	req.SetBasicAuth("admin", "example-only")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)

	var out bytes.Buffer
	_ = json.Indent(&out, rec.Body.Bytes(), "", "  ")
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("X-Total-Count"))
	fmt.Println(out.String())
	// Output:
	// 200 application/json;charset=UTF-8 1
	// {
	//   "result": [
	//     {
	//       "active": "true",
	//       "assigned_to": {
	//         "display_value": "Jane Smith",
	//         "link": "http://127.0.0.1:8083/api/now/table/sys_user/7e12ec83433b0b54e47cfa539e4a97fc"
	//       },
	//       "assignment_group": "",
	//       "caller_id": {
	//         "display_value": "Jane Smith",
	//         "link": "http://127.0.0.1:8083/api/now/table/sys_user/7e12ec83433b0b54e47cfa539e4a97fc"
	//       },
	//       "category": "Network",
	//       "close_code": "",
	//       "close_notes": "",
	//       "comments": "",
	//       "description": "VPN drops every few minutes when working from home.",
	//       "impact": "1 - High",
	//       "number": "INC0012345",
	//       "opened_at": "2025-03-03 08:00:00",
	//       "opened_by": {
	//         "display_value": "Jane Smith",
	//         "link": "http://127.0.0.1:8083/api/now/table/sys_user/7e12ec83433b0b54e47cfa539e4a97fc"
	//       },
	//       "priority": "2 - High",
	//       "short_description": "VPN connection dropping",
	//       "state": "In Progress",
	//       "subcategory": "",
	//       "sys_created_by": "jane.smith",
	//       "sys_created_on": "2025-03-03 08:00:00",
	//       "sys_id": "a02478ae6819002a2c3d8b2975b23508",
	//       "sys_mod_count": "0",
	//       "sys_updated_by": "jane.smith",
	//       "sys_updated_on": "2025-03-03 08:00:00",
	//       "urgency": "2 - Medium",
	//       "work_notes": ""
	//     }
	//   ]
	// }
}
