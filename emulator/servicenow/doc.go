// Package servicenow is a ServiceNow instance emulator for development and
// tests: the outside world that onbehalf's ServiceNow connector talks to,
// and a local ServiceNow for anyone's own tests (`onbehalf servicenow
// serve`). It imports nothing of the product.
//
// # Table API
//
// GET (list and record), POST (201 + Location), PUT/PATCH, DELETE (204)
// under /api/now/table, /api/now/v1/table and /api/now/v2/table (v1 answers
// an empty list with 404, v2 with 200 {"result":[]}). Every value is a
// string; references are {"link","value"}, {"display_value","link"} or
// plain strings as sysparm_display_value (false|true|all) and
// sysparm_exclude_reference_link ask; choices show their labels; dates are
// UTC "YYYY-MM-DD HH:MM:SS"; journals (comments, work_notes) read "" raw and
// their history, newest first, as display value. sysparm_query, _limit
// (default 10000), _offset, _fields (unknown names ignored), _no_count,
// _suppress_pagination_header and _input_display_value (choice labels and
// reference display values on writes) work as on an instance; _view and
// _query_no_domain are accepted and change nothing. X-Total-Count, Link
// (first/prev/next/last, shaped like a real capture) and the error
// envelopes of a real instance are golden-tested (testdata/golden).
//
// # Tables
//
// A dictionary defined in Go (tables.go) drives everything: incident,
// problem, change_request, sys_user, sys_user_group, sys_user_grmember,
// sys_user_role, sys_user_has_role, sys_journal_field, sys_audit, sys_number
// and syslog_transaction, with typed fields (string, integer, boolean,
// choice, reference, journal, glide_date_time), choice lists, defaults and
// number prefixes (INC, PRB, CHG; seven digits from a counter kept past any
// seeded number). Records live in SQLite (modernc.org/sqlite), one table
// each, indexed per reference and for the queries agents make. sys_id,
// sys_created_*, sys_updated_* and sys_mod_count are maintained; every
// change writes sys_audit rows and every journal entry a sys_journal_field
// row naming the acting user; every request leaves a syslog_transaction row
// (written in batches, flushed before anyone reads that table).
//
// # Encoded queries
//
// sysparm_query is parsed against the dictionary and compiled to SQL with
// every value bound as a parameter: ^, ^OR (binding tighter than ^), ^NQ,
// =, !=, LIKE, NOT LIKE, STARTSWITH, ENDSWITH, IN, NOT IN, ISEMPTY,
// ISNOTEMPTY, EMPTYSTRING, ANYTHING, <, <=, >, >=, BETWEENa@b, SAMEAS,
// NSAMEAS, DYNAMIC (Me, One of My Groups), ORDERBY/ORDERBYDESC, dot-walking
// (assigned_to.email, read ACLs applied on the walked table),
// javascript:gs.getUserID(), gs.getUserName(), getMyGroups() and
// gs.dateGenerate(). There is no escape for ^ in a value, as on an instance.
//
// # ACLs
//
// ACLRule grants read, write, create or delete on a table's records, or
// read/write on one field (or "*"), to holders of its roles when the record
// matches its encoded-query condition; admin passes all (DefaultACLs for the
// dev data, Config.ACLs to replace them). Conditions compile into the same
// SQL statement as the query. Like a real instance, sysparm_limit is applied
// before read ACLs: a page can come back short or empty while readable rows
// follow, and X-Total-Count counts the rows matching the query
// (Config.ReadACLBeforeLimit filters first instead). A field the caller may
// not read renders as ""; a query on it is 403 "Insufficient rights to query
// records"; a field the caller may not write is ignored. Hidden records are
// 404 for reads and writes; denied writes are 403 envelopes.
//
// # Authentication and limits
//
// HTTP Basic (sys_user.user_name and a password: admin's from
// Config.AdminPassword, others' from a seed file) or a Bearer JWT from one
// of several OIDC providers (metadata URL, audience, user claim matched to
// a sys_user field of an active user, clock skew, optional JTI replay
// check); anything else is 401 with WWW-Authenticate. Verified tokens are
// cached by hash (validity window and JTI still checked per use) and
// principals until a user, role or group changes, as a session would be.
// RateLimit rules (per user, role or everyone, per clock hour) answer 429
// with X-RateLimit-* and Retry-After.
//
// # Choices where a real instance is unclear or configurable
//
//   - An invalid query term (unknown or hidden field, no operator) is dropped
//     and the rest runs (glide.invalid_query.returns_no_rows=false);
//     Config.InvalidQueryReturnsNoRows returns nothing instead. Read ACLs
//     apply either way.
//   - =, !=, IN compare exactly; LIKE, STARTSWITH, ENDSWITH ignore ASCII
//     case. Negative operators never match empty values (add
//     "^ORfieldISEMPTY").
//   - A reference in ORDERBY sorts by the referenced display value; ties
//     follow insertion order in the direction of the last sort term.
//   - A caller whom no read rule admits by role gets an empty page and a
//     count of 0 (the table check comes before the query).
//   - Write bodies ignore unknown, hidden and sys_* fields; a value that does
//     not fit an integer, boolean, date or reference field is a 400; a
//     delete is audited as one sys_audit row with fieldname "DELETED".
//   - A negative sysparm_offset (the first page's prev link) reads from 0.
//
// # Quick start
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
//	srv.GenerateIncidents(ctx, 100_000, 200) // optional bulk data
//	http.ListenAndServe("127.0.0.1:8083", srv)
package servicenow
