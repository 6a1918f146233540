// OpenID Connect sign-in in the browser: authorization code + PKCE (S256)
// against the configured authority, as a public client (no secret).
//
// Where things live:
//   - Tokens: in this module's memory only (the Session object), never in
//     localStorage, sessionStorage or cookies. A reload loses them, and the
//     user signs in again: that is the trade-off for never leaving a token
//     where other scripts or a later user of the device can read it.
//   - The PKCE verifier, state and nonce of one sign-in: in sessionStorage
//     for the round trip to the IdP only (the page is replaced while the
//     user is there), removed the moment the IdP sends the browser back.
//
// The ID token comes straight from the token endpoint over the connection
// the browser made, so (OpenID Connect Core 3.1.3.7) its issuer, audience,
// expiry and nonce are checked here and its signature is left to that
// channel. The access token is opaque to the page: the runtime verifies it.

const ROUND_TRIP_KEY = 'onbehalf.signin';
const ROUND_TRIP_MAX_AGE_MS = 15 * 60 * 1000;
// Refresh this long before the access token expires.
const REFRESH_MARGIN_MS = 5 * 60 * 1000;
const MIN_REFRESH_DELAY_MS = 10 * 1000;

/** AuthError is a sign-in problem whose message is safe to show. */
export class AuthError extends Error {
  constructor(message, { code = '', claims = '' } = {}) {
    super(message);
    this.name = 'AuthError';
    this.code = code;
    this.claims = claims;
  }
}

/** discover reads the authority's OpenID Provider metadata. */
export async function discover(authority) {
  const url = `${authority.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let res;
  try {
    res = await fetch(url, { credentials: 'omit', cache: 'no-cache' });
  } catch {
    throw new AuthError('The sign-in service cannot be reached. Check your connection and try again.', { code: 'network' });
  }
  if (!res.ok) throw new AuthError(`The sign-in service's configuration could not be read (HTTP ${res.status}).`, { code: 'discovery' });
  let meta;
  try {
    meta = await res.json();
  } catch {
    throw new AuthError("The sign-in service's configuration is not valid JSON.", { code: 'discovery' });
  }
  for (const k of ['issuer', 'authorization_endpoint', 'token_endpoint']) {
    if (typeof meta[k] !== 'string' || meta[k] === '') throw new AuthError(`The sign-in service's configuration lacks ${k}.`, { code: 'discovery' });
  }
  if (meta.issuer.replace(/\/+$/, '') !== authority.replace(/\/+$/, '')) {
    throw new AuthError("The sign-in service's issuer does not match the configured authority.", { code: 'discovery' });
  }
  return meta;
}

function base64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function s256(verifier) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** redirectURI is where the IdP sends the browser back. */
export function redirectURI(config) {
  return new URL(config.redirectPath || '/', window.location.origin).href;
}

/**
 * beginSignIn sends the browser to the IdP's sign-in page. claims is a
 * claims challenge (JSON) to satisfy; draft is the user's unsent message,
 * given back by completeSignIn.
 */
export async function beginSignIn(config, meta, { claims = '', loginHint = '', draft = '' } = {}) {
  if (!window.isSecureContext || !crypto.subtle) {
    throw new AuthError('Sign-in needs a secure page: open this site over https (or on localhost / 127.0.0.1).', { code: 'insecure' });
  }
  const verifier = randomString(32);
  const state = randomString(16);
  const nonce = randomString(16);
  const u = new URL(meta.authorization_endpoint);
  const q = u.searchParams;
  q.set('client_id', config.clientId);
  q.set('response_type', 'code');
  q.set('response_mode', 'query');
  q.set('redirect_uri', redirectURI(config));
  q.set('scope', config.scopes.join(' '));
  q.set('state', state);
  q.set('nonce', nonce);
  q.set('code_challenge', await s256(verifier));
  q.set('code_challenge_method', 'S256');
  if (claims) q.set('claims', claims);
  if (loginHint) q.set('login_hint', loginHint);
  sessionStorage.setItem(ROUND_TRIP_KEY, JSON.stringify({ verifier, state, nonce, draft, at: Date.now() }));
  window.location.assign(u.href);
}

/** takeRoundTrip reads and deletes the stored sign-in round trip. */
function takeRoundTrip() {
  const raw = sessionStorage.getItem(ROUND_TRIP_KEY);
  sessionStorage.removeItem(ROUND_TRIP_KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

/**
 * dropSignInResponse forgets a sign-in response that cannot be completed
 * (for example when the IdP's configuration could not be read): the
 * address bar and sessionStorage are cleaned all the same.
 */
export function dropSignInResponse(config) {
  const params = new URLSearchParams(window.location.search);
  if (!params.has('code') && !params.has('error')) return;
  takeRoundTrip();
  window.history.replaceState(null, '', config.redirectPath || '/');
}

/** firstLine keeps an IdP's error description short (drops trace ids). */
function firstLine(s) {
  return String(s || '').split(/\r?\n/)[0].slice(0, 300);
}

/**
 * completeSignIn handles the IdP's redirect back, if this load is one:
 * it returns null when the URL carries no sign-in response, or
 * {session, draft}. It always removes the response from the address bar
 * and the round trip from sessionStorage first.
 */
export async function completeSignIn(config, meta) {
  const params = new URLSearchParams(window.location.search);
  if (!params.has('code') && !params.has('error')) return null;
  const rt = takeRoundTrip();
  window.history.replaceState(null, '', config.redirectPath || '/');
  if (!rt || typeof rt.state !== 'string' || params.get('state') !== rt.state) {
    throw new AuthError('This sign-in response does not match a sign-in started in this tab. Sign in again.', { code: 'state' });
  }
  if (Date.now() - rt.at > ROUND_TRIP_MAX_AGE_MS) {
    throw new AuthError('The sign-in took too long. Sign in again.', { code: 'expired' });
  }
  if (params.has('error')) {
    const code = params.get('error');
    const msg = code === 'access_denied' ? 'Sign-in was cancelled.' : `Sign-in failed: ${firstLine(params.get('error_description')) || code}`;
    throw new AuthError(msg, { code, claims: params.get('claims') || '' });
  }
  const tokens = await tokenRequest(meta.token_endpoint, {
    grant_type: 'authorization_code',
    client_id: config.clientId,
    code: params.get('code'),
    redirect_uri: redirectURI(config),
    code_verifier: rt.verifier,
    scope: config.scopes.join(' '),
  });
  const session = new Session(config, meta);
  session.accept(tokens, rt.nonce);
  return { session, draft: typeof rt.draft === 'string' ? rt.draft : '' };
}

/** tokenRequest POSTs a form to the token endpoint (a CORS request). */
async function tokenRequest(endpoint, fields) {
  let res;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      body: new URLSearchParams(fields),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new AuthError('The sign-in service cannot be reached. Check your connection and try again.', { code: 'network' });
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok || !body || typeof body.access_token !== 'string') {
    const code = (body && typeof body.error === 'string' && body.error) || `http_${res.status}`;
    const desc = body && firstLine(body.error_description);
    throw new AuthError(`Sign-in failed: ${desc || code}`, { code, claims: (body && typeof body.claims === 'string' && body.claims) || '' });
  }
  return body;
}

/** decodeJWT returns a JWT's payload claims (no verification). */
function decodeJWT(jwt) {
  const parts = String(jwt).split('.');
  if (parts.length !== 3) throw new AuthError('The sign-in service returned a malformed ID token.', { code: 'id_token' });
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new AuthError('The sign-in service returned a malformed ID token.', { code: 'id_token' });
  }
}

/**
 * Session holds one signed-in user's tokens in memory and keeps them
 * fresh with the refresh token (which the IdP rotates on every use).
 */
export class Session {
  #config;
  #meta;
  #access = '';
  #refresh = '';
  #expiresAt = 0;
  #timer = 0;
  #inflight = null;
  #user = { name: '', username: '' };

  /** onexpired is called when the session can no longer be refreshed. */
  onexpired = null;

  constructor(config, meta) {
    this.#config = config;
    this.#meta = meta;
  }

  /** user is who signed in: {name, username}. */
  get user() {
    return { ...this.#user };
  }

  get signedIn() {
    return this.#access !== '';
  }

  /** accept takes a token response, checking its ID token (and nonce). */
  accept(tokens, nonce) {
    if (typeof tokens.id_token === 'string') {
      const c = decodeJWT(tokens.id_token);
      const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
      const now = Date.now() / 1000;
      if (c.iss !== this.#meta.issuer) throw new AuthError('The ID token comes from another issuer.', { code: 'id_token' });
      if (!aud.includes(this.#config.clientId)) throw new AuthError('The ID token was issued to another app.', { code: 'id_token' });
      if (typeof c.exp !== 'number' || c.exp < now - 300) throw new AuthError('The ID token has expired.', { code: 'id_token' });
      if (nonce !== undefined && c.nonce !== nonce) throw new AuthError('The ID token does not answer this sign-in (nonce mismatch).', { code: 'id_token' });
      this.#user = {
        name: typeof c.name === 'string' ? c.name : '',
        username: typeof c.preferred_username === 'string' ? c.preferred_username : '',
      };
    } else if (nonce !== undefined) {
      throw new AuthError('The sign-in service returned no ID token; the "openid" scope is required.', { code: 'id_token' });
    }
    this.#access = tokens.access_token;
    if (typeof tokens.refresh_token === 'string' && tokens.refresh_token) this.#refresh = tokens.refresh_token;
    const lifetimeMs = Math.max(0, Number(tokens.expires_in) || 3600) * 1000;
    this.#expiresAt = Date.now() + lifetimeMs;
    this.#schedule(lifetimeMs);
  }

  #schedule(lifetimeMs) {
    clearTimeout(this.#timer);
    if (!this.#refresh) return;
    const margin = Math.min(REFRESH_MARGIN_MS, lifetimeMs / 5);
    const delay = Math.max(MIN_REFRESH_DELAY_MS, lifetimeMs - margin);
    this.#timer = setTimeout(() => {
      this.refresh().catch(() => {});
    }, delay);
  }

  /** accessToken returns a token valid for at least a minute, refreshing first if needed. */
  async accessToken() {
    if (!this.#access) throw new AuthError('You are signed out.', { code: 'signed_out' });
    if (this.#expiresAt - Date.now() < 60 * 1000) await this.refresh();
    return this.#access;
  }

  /** refresh redeems the refresh token once, however many callers wait. */
  refresh() {
    this.#inflight ??= this.#doRefresh().finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  async #doRefresh() {
    if (!this.#refresh) {
      this.#expire();
      throw new AuthError('Your sign-in has expired. Sign in again.', { code: 'expired' });
    }
    try {
      const tokens = await tokenRequest(this.#meta.token_endpoint, {
        grant_type: 'refresh_token',
        client_id: this.#config.clientId,
        refresh_token: this.#refresh,
        scope: this.#config.scopes.join(' '),
      });
      this.accept(tokens, undefined);
    } catch (e) {
      if (e instanceof AuthError && e.code === 'network' && this.#expiresAt > Date.now()) throw e; // keep trying later
      this.#expire();
      throw new AuthError('Your sign-in has expired. Sign in again.', { code: 'expired', claims: e.claims || '' });
    }
  }

  #expire() {
    this.clear();
    if (typeof this.onexpired === 'function') this.onexpired();
  }

  /** clear forgets every token. */
  clear() {
    clearTimeout(this.#timer);
    this.#access = '';
    this.#refresh = '';
    this.#expiresAt = 0;
  }

  /**
   * signOut forgets the tokens and ends the IdP's browser session, which
   * sends the browser back to the page (when the IdP allows it).
   */
  signOut() {
    this.clear();
    signOutAt(this.#config, this.#meta);
  }
}

/** signOutAt sends the browser to the IdP's end-session endpoint. */
export function signOutAt(config, meta) {
  if (!meta.end_session_endpoint) {
    const u = new URL(redirectURI(config));
    u.searchParams.set('state', 'signed_out');
    window.location.assign(u.href);
    return;
  }
  const u = new URL(meta.end_session_endpoint);
  u.searchParams.set('client_id', config.clientId);
  u.searchParams.set('post_logout_redirect_uri', redirectURI(config));
  u.searchParams.set('state', 'signed_out');
  window.location.assign(u.href);
}
