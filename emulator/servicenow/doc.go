// Package servicenow is a ServiceNow instance emulator for development and
// tests: the outside world that onbehalf's ServiceNow connector talks to. It
// imports nothing of the product.
//
// It serves the Table API (GET list and record, PATCH and PUT record) under
// /api/now/table, /api/now/v1/table and /api/now/v2/table with the wire shapes
// of a real instance: every value a string, reference fields as
// {"link","value"} objects, display values and choice labels on request,
// X-Total-Count and Link pagination headers, and the real error envelopes.
//
// Everything is driven by a dictionary defined in Go (dictionary.go): tables,
// typed fields, choice lists and the display field of each table. Records live
// in real SQLite tables (modernc.org/sqlite), one per dictionary table, and
// encoded queries (sysparm_query) are compiled to parameterised SQL; no value
// from a request is ever spliced into SQL text.
//
// Callers authenticate with HTTP Basic (sys_user.user_name + password; only
// admin has one) or with a Bearer JWT from a configured OIDC provider, the
// emulated twin of ServiceNow's "OIDC provider" inbound integration: the token
// must be signed by a key of the provider's JWKS, carry the provider's issuer,
// have the configured client id as audience and be within its validity window
// (with clock skew); its user claim (preferred_username) is matched to a
// sys_user field (email) of an active user.
//
// Read and write access is decided by ACL rules (acl.go): per table and
// operation, each rule names roles and an encoded-query condition; a user
// passes when any rule grants both; the admin role passes everything. Read
// rules are applied as SQL conditions so pages and X-Total-Count only count
// visible rows.
//
// Choices made where a real instance is unclear or configurable:
//
//   - An invalid query term (unknown or hidden field, no operator) is dropped
//     and the rest of the query runs, as with the instance default
//     glide.invalid_query.returns_no_rows=false; read ACLs still apply, so it
//     never widens beyond what the caller may see.
//   - =, !=, IN compare exactly (case-sensitive); LIKE, STARTSWITH, ENDSWITH
//     ignore ASCII case. Negative operators (!=, NOT IN, NOT LIKE) never match
//     empty values; add "^ORfieldISEMPTY".
//   - A reference in ORDERBY sorts by the referenced display value; ties keep
//     insertion order. Dot-walking (assigned_to.email) is allowed in
//     conditions and applies the walked table's read ACL.
//   - Link: first, prev (always, offset-limit, negative on the first page as
//     in a real capture), next (while rows remain), last (start of the last
//     full page). X-Total-Count counts visible rows (see the limit-before-ACL
//     TODO in acl.go).
//   - PATCH/PUT ignore unknown, hidden and sys_* fields; a value that does not
//     fit an integer, boolean, date or reference field is a 400.
//
// Every request leaves one syslog_transaction row (who made it, the URL, the
// status), and every field changed by PATCH one sys_audit row naming the
// acting user, so tests can prove that jane.smith, not a bot, made the call.
//
// Quick start:
//
//	srv, err := servicenow.New(ctx, servicenow.Config{
//		BaseURL:       "http://127.0.0.1:8083",
//		AdminPassword: pw,
//		SeedDev:       true,
//		OIDC: []servicenow.OIDCProvider{{
//			Name:        "EntraID",
//			MetadataURL: issuer + "/.well-known/openid-configuration",
//			ClientID:    "5e7c0000-0000-4000-8000-000000000003",
//		}},
//	})
//	defer srv.Close()
//	http.ListenAndServe("127.0.0.1:8083", srv)
package servicenow
