// The chat page: sign-in state, the conversation, and sending messages.

import { h, clear, uid } from './dom.js';
import { renderMarkdown } from './markdown.js';
import { AuthError, beginSignIn, completeSignIn, discover, dropSignInResponse } from './oidc.js';
import { invoke } from './invoke.js';
import { TracePanel } from './trace.js';

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'),
  alert: $('alert'),
  signedOut: $('signed-out'),
  chat: $('chat'),
  account: $('account'),
  userName: $('user-name'),
  signIn: $('sign-in'),
  signOut: $('sign-out'),
  newConversation: $('new-conversation'),
  conversation: $('conversation'),
  composer: $('composer'),
  message: $('message'),
  send: $('send'),
  stop: $('stop'),
};

const state = {
  config: null,
  meta: null,
  session: null, // oidc.Session: the tokens, in memory only
  sessionId: '', // the runtime's conversation id
  busy: false,
  controller: null,
  confirmations: [], // buttons of unanswered confirmation prompts
};

// ---- status and alerts -------------------------------------------------

let statusTimer = 0;
function announce(text, { sticky = false } = {}) {
  clearTimeout(statusTimer);
  ui.status.textContent = text;
  if (!sticky && text) statusTimer = setTimeout(() => { ui.status.textContent = ''; }, 8000);
}

/** showAlert shows a message with optional action buttons [{label, run}]. */
function showAlert(message, actions = []) {
  clear(ui.alert);
  ui.alert.append(h('p', {}, message));
  if (actions.length) {
    ui.alert.append(h('div', { class: 'alert-actions' }, actions.map((a) => h('button', { type: 'button', onclick: a.run }, a.label))));
  }
  ui.alert.hidden = false;
}

function clearAlert() {
  clear(ui.alert);
  ui.alert.hidden = true;
}

// ---- views -------------------------------------------------------------

function showSignedOut(message = '') {
  state.session = null;
  state.sessionId = '';
  ui.chat.hidden = true;
  ui.account.hidden = true;
  ui.signedOut.hidden = false;
  document.body.dataset.view = 'signed-out';
  clear(ui.conversation);
  announce(message, { sticky: true });
}

function showChat(draft) {
  const u = state.session.user;
  ui.userName.textContent = u.name && u.username ? `${u.name} (${u.username})` : u.name || u.username || 'Signed in';
  ui.signedOut.hidden = true;
  ui.account.hidden = false;
  ui.chat.hidden = false;
  document.body.dataset.view = 'chat';
  announce(`Signed in as ${u.name || u.username}.`);
  if (draft) ui.message.value = draft;
  ui.message.focus();
}

function setBusy(busy) {
  state.busy = busy;
  ui.send.disabled = busy;
  ui.newConversation.disabled = busy;
  ui.stop.hidden = !busy;
}

// ---- sign-in -------------------------------------------------------------

async function ensureMeta() {
  state.meta ??= await discover(state.config.authority);
  return state.meta;
}

async function signIn(opts = {}) {
  clearAlert();
  try {
    await beginSignIn(state.config, await ensureMeta(), opts);
  } catch (e) {
    showAlert(e instanceof AuthError ? e.message : 'Sign-in could not start.');
  }
}

function signInAgainActions(draft, claims = '') {
  const hint = state.session ? state.session.user.username : '';
  return [{ label: 'Sign in again', run: () => signIn({ claims, loginHint: hint, draft }) }];
}

function onSessionExpired() {
  showSignedOut();
  showAlert('Your sign-in has expired. Sign in again to continue.', [{ label: 'Sign in', run: () => signIn() }]);
}

// ---- conversation --------------------------------------------------------

function addUserTurn(text) {
  const id = uid('you');
  const turn = h('div', { class: 'turn turn-user' },
    h('article', { 'aria-labelledby': id },
      h('h3', { id, class: 'turn-who' }, 'You'),
      h('p', { class: 'user-text' }, text)));
  ui.conversation.append(turn);
  turn.scrollIntoView({ block: 'nearest' });
}

function nearBottom() {
  return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 120;
}

/** AnswerView renders one streamed answer. */
class AnswerView {
  constructor() {
    const id = uid('answer');
    this.text = '';
    this.model = '';
    this.frame = 0;
    this.modelEl = h('span', { class: 'model', hidden: true });
    this.statusEl = h('p', { class: 'answer-status' }, 'Working on it…');
    this.body = h('div', { class: 'answer-body' });
    this.extra = h('div', { class: 'answer-extra' });
    this.trace = new TracePanel();
    this.article = h('article', { class: 'answer', 'aria-labelledby': id, 'aria-busy': 'true', dataset: { state: 'streaming' } },
      h('header', { class: 'answer-header' }, h('h3', { id, class: 'turn-who' }, 'Assistant'), this.modelEl),
      this.statusEl, this.body, this.extra, this.trace.el);
    this.el = h('div', { class: 'turn turn-assistant' }, this.article);
  }

  setModel(name) {
    if (!name) return;
    this.model = name;
    this.modelEl.textContent = `Model: ${name}`;
    this.modelEl.hidden = false;
  }

  event(ev) {
    this.trace.add(ev);
    switch (ev.type) {
      case 'model':
        this.setModel(ev.model);
        break;
      case 'text':
        this.text += typeof ev.text === 'string' ? ev.text : '';
        this.schedule();
        break;
      case 'tool_start':
        this.statusEl.textContent = `Calling ${ev.tool}…`;
        break;
      case 'tool_end':
        this.statusEl.textContent = ev.is_error ? `${ev.tool} failed; the assistant is handling it…` : 'Writing the answer…';
        break;
      case 'confirmation_required':
        this.confirm(ev);
        break;
      case 'final':
        if (typeof ev.text === 'string' && ev.text) this.text = ev.text;
        this.setModel(ev.model);
        this.finish(true);
        break;
      case 'error':
        this.finish(false);
        this.fail(typeof ev.error === 'string' && ev.error ? ev.error : 'The assistant failed.');
        break;
    }
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    const follow = nearBottom();
    clear(this.body);
    this.body.append(renderMarkdown(this.text));
    if (follow) this.el.scrollIntoView({ block: 'end' });
  }

  confirm(ev) {
    const qid = uid('confirm');
    const note = h('p', { class: 'confirm-answered', hidden: true });
    const answer = (word) => {
      note.textContent = word === 'yes' ? 'You answered yes.' : 'You answered no.';
      note.hidden = false;
      sendMessage(word);
    };
    const buttons = [
      h('button', { type: 'button', class: 'primary', onclick: () => answer('yes') }, 'Yes, make this change'),
      h('button', { type: 'button', onclick: () => answer('no') }, 'No, cancel it'),
    ];
    state.confirmations.push(...buttons);
    this.extra.append(h('div', { class: 'confirm', role: 'group', 'aria-labelledby': qid },
      h('p', { id: qid }, h('strong', {}, 'Confirm this change? '), 'Nothing has been changed yet.'),
      h('p', { class: 'confirm-summary' }, h('code', {}, ev.summary || ev.tool || 'a change')),
      h('div', { class: 'confirm-actions' }, buttons),
      note));
  }

  /** fail shows an error in this answer, with optional actions. */
  fail(message, actions = []) {
    this.extra.append(h('div', { class: 'answer-error', role: 'alert' },
      h('p', {}, message),
      actions.length ? h('div', { class: 'alert-actions' }, actions.map((a) => h('button', { type: 'button', onclick: a.run }, a.label))) : null));
    if (this.article.dataset.state === 'streaming') this.finish(false);
  }

  finish(ok) {
    if (this.article.dataset.state !== 'streaming') return;
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.render();
    this.statusEl.remove();
    // A request refused before it reached the agent has nothing to trace.
    if (this.trace.empty) this.trace.el.remove();
    else this.trace.finish(ok, this.model);
    this.article.dataset.state = ok ? 'done' : 'error';
    this.article.setAttribute('aria-busy', 'false');
  }
}

/** sendMessage sends prompt as the user's message and streams the answer. */
async function sendMessage(prompt) {
  if (state.busy || !state.session || !prompt.trim()) return;
  clearAlert();
  // A new message answers any earlier confirmation prompt (the agent drops
  // a held change unless this message is "yes").
  for (const b of state.confirmations) b.disabled = true;
  state.confirmations = [];

  addUserTurn(prompt);
  const view = new AnswerView();
  ui.conversation.append(view.el);
  view.el.scrollIntoView({ block: 'nearest' });
  setBusy(true);
  state.controller = new AbortController();
  try {
    await run(prompt, view);
  } finally {
    setBusy(false);
    state.controller = null;
  }
}

async function run(prompt, view) {
  for (let attempt = 0; attempt < 2; attempt++) {
    let token;
    try {
      token = await state.session.accessToken();
    } catch (e) {
      view.fail(e.message || 'Your sign-in has expired.', signInAgainActions(prompt));
      return;
    }
    try {
      const res = await invoke({
        token,
        sessionId: state.sessionId,
        prompt,
        signal: state.controller.signal,
        onEvent: (ev) => view.event(ev),
      });
      state.sessionId = res.sessionId;
      announce(view.article.dataset.state === 'done' ? 'Answer received.' : 'The answer ended with an error.');
      return;
    } catch (e) {
      if (e.kind === 'unauthorized' && attempt === 0) {
        // The token may have just expired: refresh once and retry; nothing
        // was streamed, so nothing is repeated.
        try {
          await state.session.refresh();
          continue;
        } catch {
          // fall through to the message
        }
      }
      explain(e, prompt, view);
      return;
    }
  }
}

/** sentence ends a server's message with a full stop if it has none. */
function sentence(text) {
  const t = String(text || '').trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/** explain shows why an invocation failed and what the user can do. */
function explain(e, prompt, view) {
  const retry = { label: 'Try again', run: () => sendMessage(prompt) };
  const fresh = {
    label: 'Start a new conversation',
    run: () => {
      newConversation();
      ui.message.value = prompt;
    },
  };
  switch (e.kind) {
    case 'claims':
      view.fail('Your organization requires you to sign in again (for example with multi-factor authentication) before the assistant can reach ServiceNow for you. Your message will be kept.',
        signInAgainActions(prompt, e.claims));
      break;
    case 'unauthorized':
      view.fail(`Your sign-in was not accepted (${e.message}). Sign in again.`, signInAgainActions(prompt));
      break;
    case 'forbidden':
      view.fail(`Access denied: ${sentence(e.message)}`, /session/i.test(e.message) ? [fresh] : []);
      break;
    case 'expired':
      state.sessionId = '';
      view.fail('This conversation has expired (conversations end after a while without messages). Your next message starts a new conversation.', [fresh]);
      break;
    case 'unavailable':
      view.fail(`The service is temporarily unavailable: ${sentence(e.message)}${e.retryAfter ? ` Try again in ${e.retryAfter} seconds.` : ''}`, [retry]);
      break;
    case 'network':
    case 'interrupted':
      if (e.sessionId) state.sessionId = e.sessionId;
      view.fail(e.message, [retry]);
      break;
    case 'aborted':
      view.fail('Stopped. The assistant did not finish this answer.');
      break;
    default:
      view.fail(sentence(e.message || 'Something went wrong'), [retry]);
  }
}

function newConversation() {
  if (state.busy) return;
  state.sessionId = '';
  state.confirmations = [];
  clear(ui.conversation);
  clearAlert();
  announce('New conversation started.');
  ui.message.focus();
}

// ---- wiring ----------------------------------------------------------------

function wire() {
  ui.signIn.addEventListener('click', () => signIn());
  ui.signOut.addEventListener('click', () => {
    if (state.controller) state.controller.abort();
    const s = state.session;
    state.session = null;
    state.sessionId = '';
    clear(ui.conversation);
    ui.chat.hidden = true;
    ui.account.hidden = true;
    document.body.dataset.view = 'leaving';
    announce('Signing you out…', { sticky: true });
    if (s) s.signOut();
    else showSignedOut('You are signed out.');
  });
  ui.newConversation.addEventListener('click', newConversation);
  ui.stop.addEventListener('click', () => {
    if (state.controller) state.controller.abort();
  });
  ui.message.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      ui.composer.requestSubmit();
    }
  });
  ui.composer.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = ui.message.value.trim();
    if (!text || state.busy) return;
    ui.message.value = '';
    sendMessage(text);
  });
}

async function loadConfig() {
  const res = await fetch('/config.json', { cache: 'no-cache', credentials: 'omit' });
  if (!res.ok) throw new Error(`The page's configuration could not be loaded (HTTP ${res.status}).`);
  return res.json();
}

async function main() {
  wire();
  announce('Loading…', { sticky: true });
  try {
    state.config = await loadConfig();
  } catch (e) {
    announce('');
    showAlert(e.message || 'The page could not start.');
    return;
  }
  document.title = state.config.title;
  $('app-title').textContent = state.config.title;

  const params = new URLSearchParams(window.location.search);
  if (params.get('state') === 'signed_out' && !params.has('code') && !params.has('error')) {
    window.history.replaceState(null, '', state.config.redirectPath || '/');
    showSignedOut('You are signed out.');
    return;
  }
  try {
    await ensureMeta();
  } catch (e) {
    dropSignInResponse(state.config);
    showSignedOut('');
    showAlert(e.message, [{ label: 'Try again', run: () => signIn() }]);
    return;
  }
  try {
    const done = await completeSignIn(state.config, state.meta);
    if (!done) {
      showSignedOut('');
      return;
    }
    state.session = done.session;
    state.session.onexpired = onSessionExpired;
    showChat(done.draft);
  } catch (e) {
    showSignedOut('');
    const actions = [{ label: 'Sign in', run: () => signIn({ claims: e.claims || '' }) }];
    showAlert(e instanceof AuthError ? e.message : 'Sign-in failed.', actions);
  }
}

main();
