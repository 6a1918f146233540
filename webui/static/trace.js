// The trace panel of one answer: the article's four hops as they happened
// (token accepted, workload token, On-Behalf-Of exchange, each ServiceNow
// call), which model answered, and each tool call with its summary. Only
// what the runtime streams is shown, and it streams nothing secret.

import { h, uid } from './dom.js';

const HOPS = {
  token_accepted: { step: 'Hop 1', title: 'Your sign-in token was accepted' },
  workload_token: { step: 'Hop 2', title: 'Workload access token issued to the agent' },
  token_exchange: { step: 'Hop 2', title: 'On-Behalf-Of token exchange' },
  downstream_call: { step: 'Hop 3', title: 'ServiceNow call' },
};

function ms(v) {
  return typeof v === 'number' && v > 0 ? `${v} ms` : '';
}

function joinParts(parts) {
  return parts.filter(Boolean).join(' · ');
}

/** describeHop renders a trace event's detail lines. */
function describeHop(ev) {
  const detail = typeof ev.detail === 'string' ? ev.detail : '';
  switch (ev.hop) {
    case 'token_accepted': {
      const m = /^issuer (.*), user (.*)$/.exec(detail);
      if (m) return [`Issuer: ${m[1]}`, `User: ${m[2]}`];
      return [detail];
    }
    case 'workload_token':
      return [joinParts([detail.replace(/^workload /, 'Workload: '), ms(ev.ms)])];
    case 'token_exchange': {
      let what = detail;
      if (/vault hit/i.test(detail)) what = 'Vault hit: ServiceNow token reused from the encrypted vault, no IdP call';
      else if (/idp call/i.test(detail)) what = 'IdP call: the identity provider exchanged your token for a ServiceNow token';
      return [joinParts([what, ms(ev.ms)])];
    }
    case 'downstream_call': {
      // "query_incidents: GET incident", "update_incident: PATCH incident INC0012345, forbidden"
      const m = /^(?:([\w.-]+): )?([A-Z]+) (\S+)(.*)$/.exec(detail);
      const target = m ? `${m[2]} table ${m[3]}${m[4]}` : detail;
      const rows = typeof ev.rows === 'number' ? `${ev.rows} ${ev.rows === 1 ? 'row' : 'rows'} returned` : '0 rows returned';
      return [joinParts([target, ev.status ? `HTTP ${ev.status}` : '', rows, ms(ev.ms)]), m && m[1] ? `For the tool ${m[1]}` : ''];
    }
  }
  return [joinParts([detail, ms(ev.ms)])];
}

/** TracePanel is the "Show trace" button and the list it discloses. */
export class TracePanel {
  constructor() {
    const id = uid('trace');
    this.list = h('ol', { class: 'trace-list' });
    this.panel = h('div', { id, class: 'trace-panel', hidden: true },
      h('p', { class: 'note' }, 'What happened to answer this message. No token or secret is ever shown.'),
      this.list);
    this.button = h('button', { type: 'button', class: 'trace-toggle', 'aria-expanded': 'false', 'aria-controls': id, onclick: () => this.toggle() }, 'Show trace');
    this.el = h('div', { class: 'trace' }, this.button, this.panel);
    this.tools = new Map();
  }

  toggle(open = this.panel.hidden) {
    this.panel.hidden = !open;
    this.button.setAttribute('aria-expanded', String(open));
    this.button.textContent = open ? 'Hide trace' : 'Show trace';
  }

  /** empty reports whether nothing of the request was traced. */
  get empty() {
    return this.list.childElementCount === 0;
  }

  #item(kind, step, title, lines, extra = {}) {
    const li = h('li', { dataset: { hop: kind }, ...extra },
      h('span', { class: 'trace-step' }, step),
      ' ',
      h('span', { class: 'trace-title' }, title),
      lines.filter(Boolean).map((l) => h('span', { class: 'trace-detail' }, l)));
    this.list.append(li);
    return li;
  }

  /** add records one event of the stream, if it belongs in the trace. */
  add(ev) {
    switch (ev.type) {
      case 'trace': {
        const info = HOPS[ev.hop] || { step: 'Hop', title: String(ev.hop || 'step') };
        this.#item(String(ev.hop || 'step'), info.step, info.title, describeHop(ev));
        break;
      }
      case 'model':
        this.#item('model', 'Model', `Answered by ${ev.model || 'an unnamed model'}`, []);
        break;
      case 'tool_start': {
        const li = this.#item('tool', 'Tool', `Tool call: ${ev.tool}`, [ev.summary ? `Input: ${ev.summary}` : '']);
        if (ev.tool_use_id) this.tools.set(ev.tool_use_id, li);
        break;
      }
      case 'tool_end': {
        const li = this.tools.get(ev.tool_use_id) || this.#item('tool', 'Tool', `Tool call: ${ev.tool}`, []);
        li.classList.toggle('failed', Boolean(ev.is_error));
        li.append(h('span', { class: 'trace-detail' }, joinParts([`${ev.is_error ? 'Failed' : 'Result'}: ${ev.summary || 'done'}`, ms(ev.ms)])));
        break;
      }
      case 'confirmation_required':
        this.#item('confirmation', 'Held', 'Change held until you confirm it', [ev.summary || ev.tool]);
        break;
    }
  }

  /** finish adds the last hop: the answer came back to the user. */
  finish(ok, model) {
    this.#item('answer', 'Hop 4', ok ? 'Answer returned to you' : 'The answer ended with an error', [model ? `Model: ${model}` : '']);
  }
}
