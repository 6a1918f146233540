package servicenow

import (
	"net/http"
	"strconv"
)

const contentTypeJSON = "application/json;charset=UTF-8"

// apiError is a Table API error envelope:
// {"error":{"message":…,"detail":…},"status":"failure"}.
type apiError struct {
	status  int
	message string
	detail  string
}

// The envelopes of a real instance.
var (
	errUnauthenticated = apiError{http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information"}
	errNoRecord        = apiError{http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval"}
	errUpdateDenied    = apiError{http.StatusForbidden, "Operation Failed", "ACL Exception Update Failed due to security constraints"}
	errInsertDenied    = apiError{http.StatusForbidden, "Operation Failed", "ACL Exception Insert Failed due to security constraints"}
	errDeleteDeniedEnv = apiError{http.StatusForbidden, "Operation Failed", "ACL Exception Delete Failed due to security constraints"}
	errQueryACL        = apiError{http.StatusForbidden, "Insufficient rights to query records", "Field(s) present in the query do not have permission to be read"}
	errBadURI          = apiError{http.StatusBadRequest, "Requested URI does not represent any resource", ""}
	errBadJSON         = apiError{http.StatusBadRequest, "Exception while reading request", "The payload is not valid JSON."}
	errMethod          = apiError{http.StatusMethodNotAllowed, "Method not Supported", "The requested method is not supported by this resource"}
	errInternal        = apiError{http.StatusInternalServerError, "Internal server error", ""}
)

func badParam(message, detail string) apiError {
	return apiError{http.StatusBadRequest, message, detail}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshalJSON(v)
	writeBody(w, status, body, err)
}

// writeResult writes {"result": result}.
func writeResult(w http.ResponseWriter, status int, result any) {
	body, err := marshalResponse(result)
	writeBody(w, status, body, err)
}

func writeBody(w http.ResponseWriter, status int, body []byte, err error) {
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"message":"Internal server error","detail":""},"status":"failure"}`)
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError writes the envelope in a real instance's key order:
// {"error":{"message":…,"detail":…},"status":"failure"}.
func writeError(w http.ResponseWriter, e apiError) {
	b := make([]byte, 0, 160)
	b = append(b, `{"error":{"message":`...)
	b = appendJSONString(b, e.message)
	b = append(b, `,"detail":`...)
	b = appendJSONString(b, e.detail)
	b = append(b, `},"status":"failure"}`...)
	writeBody(w, e.status, b, nil)
}
