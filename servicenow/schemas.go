package servicenow

// JSON Schemas of the tools' inputs. Every input is a value: none is ever
// query syntax, and unknown properties are refused.

const targetProps = `"number":{"type":"string","pattern":"^INC\\d{7}$","description":"Incident number, e.g. INC0012345."},` +
	`"sys_id":{"type":"string","pattern":"^[0-9a-f]{32}$","description":"Incident sys_id (32 hex characters), instead of number."}`

const assigneeProp = `"assigned_to":{"type":"string","maxLength":100,"description":"Assignee: \"me\", a ServiceNow user name (bob.jones) or an email address."}`

const querySchema = `{"type":"object","properties":{` +
	`"assigned_to_me":{"type":"boolean","description":"Only incidents assigned to the signed-in user."},` +
	`"caller_is_me":{"type":"boolean","description":"Only incidents the signed-in user raised (is the caller of)."},` +
	`"active":{"type":"boolean","description":"true: only open (active) incidents."},` +
	`"state":{"type":"string","description":"State label (New, In Progress, On Hold, Resolved, Closed, Canceled, Assigned) or its number."},` +
	`"priority":{"type":"integer","minimum":1,"maximum":5,"description":"1 Critical, 2 High, 3 Moderate, 4 Low, 5 Planning."},` +
	`"category":{"type":"string","description":"Category, e.g. Network, Hardware, Software, Inquiry / Help, Database."},` +
	`"text":{"type":"string","description":"Words the short description contains."},` +
	`"opened_since":{"type":"string","description":"Only incidents opened on or after this date (2026-01-31, UTC) or this long ago: 7d (days), 12h (hours), 2w (weeks)."},` +
	`"limit":{"type":"integer","minimum":1,"maximum":100,"default":10,"description":"Most incidents to return."}` +
	`},"additionalProperties":false}`

const getSchema = `{"type":"object","properties":{` + targetProps + `},"additionalProperties":false}`

const createSchema = `{"type":"object","properties":{` +
	`"short_description":{"type":"string","maxLength":160,"description":"One-line summary of the problem."},` +
	`"description":{"type":"string","maxLength":4000,"description":"Details."},` +
	`"category":{"type":"string","description":"Inquiry / Help, Software, Hardware, Network, Database, HR or Security."},` +
	`"impact":{"type":"integer","minimum":1,"maximum":3,"description":"1 High, 2 Medium, 3 Low."},` +
	`"urgency":{"type":"integer","minimum":1,"maximum":3,"description":"1 High, 2 Medium, 3 Low."},` +
	`"priority":{"type":"integer","minimum":1,"maximum":5,"description":"1 Critical … 5 Planning; usually computed by ServiceNow from impact and urgency."},` +
	assigneeProp +
	`},"required":["short_description"],"additionalProperties":false}`

const updateSchema = `{"type":"object","properties":{` + targetProps + `,` +
	`"state":{"type":"string","description":"New state: New, In Progress, On Hold, Resolved, Closed, Canceled or Assigned."},` +
	`"priority":{"type":"integer","minimum":1,"maximum":5,"description":"New priority: 1 Critical, 2 High, 3 Moderate, 4 Low, 5 Planning."},` +
	assigneeProp + `,` +
	`"close_code":{"type":"string","enum":` + closeCodeEnum + `,"description":"Resolution code."},` +
	`"close_notes":{"type":"string","maxLength":4000,"description":"Resolution notes."}` +
	`},"additionalProperties":false}`

const resolveSchema = `{"type":"object","properties":{` + targetProps + `,` +
	`"close_code":{"type":"string","enum":` + closeCodeEnum + `,"description":"Resolution code."},` +
	`"close_notes":{"type":"string","maxLength":4000,"description":"What was done to resolve it."}` +
	`},"required":["close_code","close_notes"],"additionalProperties":false}`

const closeCodeEnum = `["Solved (Work Around)","Solved (Permanently)","Solved Remotely (Work Around)","Solved Remotely (Permanently)",` +
	`"Not Solved (Not Reproducible)","Not Solved (Too Costly)","Closed/Resolved by Caller"]`

func journalSchema(textDesc string) string {
	return `{"type":"object","properties":{` + targetProps + `,` +
		`"text":{"type":"string","maxLength":4000,"description":"` + textDesc + `"}` +
		`},"required":["text"],"additionalProperties":false}`
}
