// Package servicenow is onbehalf's ServiceNow connector: a Table API client
// (typed errors, pagination that survives ACL-shortened pages, bounded
// responses, retries, one forced re-authentication on 401, an audit event
// per call) built around an encoded-query builder that never lets
// untrusted text become query syntax, and the agent tools query_incidents,
// get_incident, create_incident, update_incident, add_comment,
// add_work_note and resolve_incident.
//
// It is a package of its own because it is the one place that speaks to
// ServiceNow: every downstream call made on a user's behalf goes through
// Client, which authenticates each request with that user's delegated token
// (Token B) from a TokenSource and nothing else.
//
// Quick start:
//
//	c := &servicenow.Client{
//		BaseURL:    "https://example.service-now.com",
//		HTTPClient: http.DefaultClient,
//		Tokens:     tokens, // per-user: derives the user from ctx, never shared
//		Audit: func(ctx context.Context, ev servicenow.CallEvent) {
//			trace.Record(ctx, ev.Hop()) // and append ev to the audit store
//		},
//	}
//	q := servicenow.NewQuery().EqMe("assigned_to").Eq("active", "true").OrderBy("number")
//	rows, total, err := c.List(ctx, "incident", servicenow.ListOptions{Query: q, Limit: 5})
//	tools := servicenow.Tools(c) // for the agent
//
// Model or user text only ever reaches ServiceNow as a query value, and
// values that could change the meaning of the query ('^', line breaks, a
// "javascript:" prefix) are rejected with ErrUnsafeValue: ServiceNow has no
// escape for '^' inside a value. Written text (comments, notes) travels in
// a JSON body, where '^' is only text.
//
// When ServiceNow answers 401 and Tokens also implements Refresher, the
// request is retried once with ForceToken's token (a fresh On-Behalf-Of
// exchange); a second 401 becomes the tools' "please sign in again".
package servicenow
