package servicenow

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

func boolParam(q url.Values, name string) bool {
	return strings.EqualFold(q.Get(name), "true")
}

func intParam(q url.Values, name string, def int) (int, *apiError) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e := badParam("Invalid value for "+name, name+" must be an integer")
		return 0, &e
	}
	return n, nil
}

func renderOpts(r *http.Request, base string, p *principal) renderOptions {
	q := r.URL.Query()
	o := renderOptions{
		mode:        parseDisplayMode(q.Get("sysparm_display_value")),
		excludeLink: boolParam(q, "sysparm_exclude_reference_link"),
		baseURL:     base,
		user:        p,
	}
	if fs := q.Get("sysparm_fields"); fs != "" {
		o.fields = []string{}
		for _, f := range strings.Split(fs, ",") {
			o.fields = append(o.fields, strings.TrimSpace(f))
		}
	}
	return o
}

// defaultLimit is sysparm_limit when absent.
const defaultLimit = 10000

// handleList serves GET /table/{table}. sysparm_view and
// sysparm_query_no_domain are accepted and change nothing here (no form
// views, no domain separation).
func (s *Server) handleList(w http.ResponseWriter, r *http.Request, p *principal, rt tableRoute, t *table) {
	q := r.URL.Query()
	limit, e := intParam(q, "sysparm_limit", defaultLimit)
	if e == nil && limit < 0 {
		pe := badParam("Invalid value for sysparm_limit", "sysparm_limit must be a non-negative integer")
		e = &pe
	}
	if e != nil {
		writeError(w, *e)
		return
	}
	offset, e := intParam(q, "sysparm_offset", 0)
	if e != nil {
		writeError(w, *e)
		return
	}
	// A negative offset (the "prev" link of a first page) reads from the
	// start.
	offset = max(offset, 0)
	base := s.requestBaseURL(r)
	ro := renderOpts(r, base, p)
	var fields []*field
	if ro.fields != nil {
		// Dot-walked names need the reference they start from.
		fields = outputFields(t, ro.fields)
		for _, f := range walkBases(walkedFields(s.dict, t, ro.fields)) {
			if !slices.Contains(fields, f) {
				fields = append(fields, f)
			}
		}
	}
	res, err := s.list(r.Context(), p, listRequest{
		table: t, query: q.Get("sysparm_query"), limit: limit, offset: offset,
		noCount: boolParam(q, "sysparm_no_count"), fields: fields,
	})
	if err != nil {
		s.writeEngineError(w, r, err)
		return
	}
	if len(res.records) == 0 && rt.version == "v1" {
		writeError(w, errNoRecord)
		return
	}
	out, err := s.render(r.Context(), t, res.records, ro)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if res.total >= 0 {
		w.Header().Set("X-Total-Count", strconv.Itoa(res.total))
	}
	if !boolParam(q, "sysparm_suppress_pagination_header") && limit > 0 {
		w.Header().Set("Link", linkHeader(base+r.URL.EscapedPath(), r.URL.RawQuery, limit, offset, res.total, len(res.records)))
	}
	writeResult(w, http.StatusOK, out)
}

// linkHeader builds first/prev/next/last links the way a real instance does
// (REFERENCE.md capture): the request URL's other parameters in their
// order, then sysparm_limit, then sysparm_offset. prev is sent even on the
// first page (its offset is then negative, as in the capture); next only
// while rows remain; last is the start of the last full-size page. Without
// a count (sysparm_no_count) next follows a full page and last is omitted.
func linkHeader(target, rawQuery string, limit, offset, total, got int) string {
	var keep []string
	for _, kv := range strings.Split(rawQuery, "&") {
		if kv == "" {
			continue
		}
		k, _, _ := strings.Cut(kv, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if k == "sysparm_offset" || k == "sysparm_limit" {
			continue
		}
		keep = append(keep, kv)
	}
	keep = append(keep, "sysparm_limit="+strconv.Itoa(limit))
	link := func(off int, rel string) string {
		q := append(keep[:len(keep):len(keep)], "sysparm_offset="+strconv.Itoa(off))
		return "<" + target + "?" + strings.Join(q, "&") + ">;rel=\"" + rel + "\""
	}
	links := []string{link(0, "first"), link(offset-limit, "prev")}
	if total < 0 {
		if got == limit {
			links = append(links, link(offset+limit, "next"))
		}
		return strings.Join(links, ",")
	}
	if offset+limit < total {
		links = append(links, link(offset+limit, "next"))
	}
	last := 0
	if total > 0 {
		last = (total - 1) / limit * limit
	}
	return strings.Join(append(links, link(last, "last")), ",")
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, p *principal, t *table, sysID string) {
	rec, err := s.get(r.Context(), s.reads, p, t, sysID)
	if err != nil {
		s.writeEngineError(w, r, err)
		return
	}
	s.writeRecord(w, r, p, http.StatusOK, t, rec)
}

func (s *Server) writeRecord(w http.ResponseWriter, r *http.Request, p *principal, status int, t *table, rec record) {
	out, err := s.render(r.Context(), t, []record{rec}, renderOpts(r, s.requestBaseURL(r), p))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeResult(w, status, out[0])
}

// readWriteRequest decodes a POST/PUT/PATCH body and its parameters.
func readWriteRequest(w http.ResponseWriter, r *http.Request) (writeRequest, bool) {
	values, err := decodeBody(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, errBadJSON)
		return writeRequest{}, false
	}
	return writeRequest{values: values, inputDisplay: boolParam(r.URL.Query(), "sysparm_input_display_value")}, true
}

// handleCreate serves POST /table/{table}: 201, the record, and Location.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, p *principal, rt tableRoute, t *table) {
	req, ok := readWriteRequest(w, r)
	if !ok {
		return
	}
	rec, err := s.create(r.Context(), p, t, req)
	if err != nil {
		s.writeEngineError(w, r, err)
		return
	}
	w.Header().Set("Location", s.requestBaseURL(r)+rt.collectionPath()+"/"+rec[sysIDField])
	s.writeRecord(w, r, p, http.StatusCreated, t, rec)
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, p *principal, t *table, sysID string) {
	req, ok := readWriteRequest(w, r)
	if !ok {
		return
	}
	rec, err := s.update(r.Context(), p, t, sysID, req)
	if err != nil {
		s.writeEngineError(w, r, err)
		return
	}
	s.writeRecord(w, r, p, http.StatusOK, t, rec)
}

// handleDelete serves DELETE /table/{table}/{sys_id}: 204 without a body.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, p *principal, t *table, sysID string) {
	if err := s.remove(r.Context(), p, t, sysID); err != nil {
		s.writeEngineError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// urlOK checks an absolute http(s) URL.
func urlOK(raw string) (bool, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return false, errors.New("not a URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false, errors.New("must be an absolute http(s) URL")
	}
	return true, nil
}

// decodeBody reads a JSON object of field -> value. Values may be strings,
// numbers, booleans or null (""), as a real instance accepts.
func decodeBody(body io.Reader) (map[string]string, error) {
	dec := json.NewDecoder(body)
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after JSON object")
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch x := v.(type) {
		case nil:
			out[k] = ""
		case string:
			out[k] = x
		case json.Number:
			out[k] = x.String()
		case bool:
			out[k] = strconv.FormatBool(x)
		default:
			return nil, fmt.Errorf("field %q: value must be a string, number, boolean or null", k)
		}
	}
	return out, nil
}
