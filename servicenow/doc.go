// Package servicenow is onbehalf's ServiceNow client: a Table API client
// (typed errors, pagination that survives ACL-shortened pages, bounded
// responses, retries for reads) built around an encoded-query builder that
// never lets untrusted text become query syntax, and the agent tools
// query_incidents, get_incident and update_incident.
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
//	}
//	q := servicenow.NewQuery().EqMe("assigned_to").Eq("active", "true").OrderBy("number")
//	rows, total, err := c.List(ctx, "incident", servicenow.ListOptions{Query: q, Limit: 5})
//
// Model or user text only ever reaches ServiceNow as a query value, and
// values that could change the meaning of the query ('^', line breaks, a
// "javascript:" prefix) are rejected with ErrUnsafeValue: ServiceNow has no
// escape for '^' inside a value.
package servicenow
