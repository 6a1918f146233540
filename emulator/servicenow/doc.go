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
// (default 10000), _offset, _fields (unknown names ignored, dot-walked
// names followed: see below), _no_count, _suppress_pagination_header and
// _input_display_value (choice labels and reference display values on
// writes) work as on an instance; _view and _query_no_domain are accepted
// and change nothing. X-Total-Count, Link
// (first/prev/next/last, shaped like a real capture) and the error
// envelopes of a real instance are golden-tested (testdata/golden).
//
// # Dot-walked fields
//
// A dotted name in sysparm_fields (assigned_to.email,
// assignment_group.manager.name; up to four segments, every one before the
// last a reference) comes back as a flat key with that name, rendered as
// the walked field itself would be under the request's
// sysparm_display_value and sysparm_exclude_reference_link: a walked
// reference (assignment_group.manager) is a reference object, a walked
// choice shows its label. A walk through an empty reference renders the
// walked field empty (""). Read ACLs apply on every table walked through,
// exactly as on a direct read of that record: a field the caller may not
// read (the reference walked from included) renders "", and every field
// walked through a record the caller may not read renders "". A name with
// an unknown or hidden segment, or a non-reference before its last
// segment, is dropped like any unknown field. The base reference need not
// be named itself. Lookups are batched: one statement per referenced table
// and level for a whole page (per 1,000 sys_ids), the caller's ACLs
// compiled into it.
//
// # Business rules
//
// The default priority rule (the Priority Lookup data lookup): a Table API
// insert or update of an incident or a problem that sets or changes impact
// or urgency gets its priority from the standard matrix (impact/urgency
// 1/1→1, 1/2 and 2/1→2, 1/3, 2/2 and 3/1→3, 2/3 and 3/2→4, 3/3→5), and
// the computed change is audited in sys_audit like any other. The seeds
// (SeedDev, Config.Seed) and GenerateIncidents are imports and do not run
// it; the dev incidents' impact and urgency agree with their priorities.
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
//   - Priority: a write that changes impact or urgency gets the computed
//     priority even when it sends a priority of its own (as the default
//     lookup does on an instance). A write that sends priority without
//     changing impact or urgency keeps it, on update and on insert (an
//     instance whose lookup runs on every insert would give 5 from the
//     default 3/3); impact sent with the value it already has is no
//     change. Impact or urgency the caller may not write does not count;
//     a pair outside the matrix (an empty or unknown value) leaves
//     priority alone. Incident and problem only: change_request has no
//     such rule.
//   - A dot-walked field that cannot be reached (empty reference, hidden
//     record or field) renders as that field's empty value: "" with
//     sysparm_display_value false or true, {"display_value": "", "value":
//     ""} with all. A walk ending in a journal field is dropped (no
//     reference of the dictionary reaches a table with journals). Dotted
//     names shape every response that renders records (GET, POST, PUT,
//     PATCH); the display value of a walked reference, like that of a
//     direct one, does not depend on the caller reading the target.
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
