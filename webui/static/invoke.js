// The runtime's invocation API, as documented in docs/events.md: POST
// /invocations with the user's token as the bearer, an optional session id
// header to continue a conversation, and a text/event-stream answer of
// `data: <agent.Event JSON>` lines. Before streaming, the runtime may
// refuse with an HTTP status; each becomes an InvocationError with a kind
// the page knows how to explain.

export const SESSION_HEADER = 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id';

/**
 * InvocationError kinds: unauthorized, claims (the IdP requires a new
 * sign-in, e.g. MFA; .claims holds the challenge as JSON), forbidden,
 * expired (the session), unavailable, invalid, server, network,
 * interrupted (the stream broke off), aborted (the user stopped it).
 */
export class InvocationError extends Error {
  constructor(kind, message, extra = {}) {
    super(message);
    this.name = 'InvocationError';
    this.kind = kind;
    Object.assign(this, extra);
  }
}

/**
 * invoke sends prompt and calls onEvent for every event of the answer.
 * It resolves to {sessionId} when the stream ended with final or error.
 */
export async function invoke({ token, sessionId, prompt, signal, onEvent }) {
  const headers = { 'Content-Type': 'application/json', Accept: 'text/event-stream', Authorization: `Bearer ${token}` };
  if (sessionId) headers[SESSION_HEADER] = sessionId;
  let res;
  try {
    res = await fetch('/invocations', {
      method: 'POST',
      headers,
      body: JSON.stringify({ prompt }),
      credentials: 'omit',
      cache: 'no-store',
      signal,
    });
  } catch (e) {
    if (signal && signal.aborted) throw new InvocationError('aborted', 'Stopped.');
    throw new InvocationError('network', 'Could not reach the assistant. Check your connection and try again.');
  }
  if (!res.ok) throw await refusal(res);
  const next = res.headers.get(SESSION_HEADER) || sessionId || '';
  const ended = await readStream(res, onEvent, signal);
  if (!ended) throw new InvocationError('interrupted', 'The answer was cut off before it finished. Try again.', { sessionId: next });
  return { sessionId: next };
}

// readStream parses the SSE body; it reports whether a final or error
// event arrived.
async function readStream(res, onEvent, signal) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let ended = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf = (buf + value).replace(/\r\n/g, '\n');
      let cut;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const ev = parseBlock(block);
        if (!ev) continue;
        if (ev.type === 'final' || ev.type === 'error') ended = true;
        onEvent(ev);
      }
    }
  } catch {
    if (signal && signal.aborted) throw new InvocationError('aborted', 'Stopped.');
    if (!ended) throw new InvocationError('interrupted', 'The connection broke while the answer was streaming. Try again.');
  }
  return ended;
}

function parseBlock(block) {
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
  }
  if (data.length === 0) return null;
  try {
    const ev = JSON.parse(data.join('\n'));
    return ev && typeof ev.type === 'string' ? ev : null;
  } catch {
    return null;
  }
}

// refusal turns an HTTP refusal into an InvocationError.
async function refusal(res) {
  let message = '';
  try {
    const body = await res.json();
    if (body && typeof body.message === 'string') message = body.message.slice(0, 500);
  } catch {
    message = '';
  }
  const challenge = parseChallenge(res.headers.get('WWW-Authenticate') || '');
  switch (res.status) {
    case 401:
      if (challenge.error === 'insufficient_claims' && challenge.claims) {
        return new InvocationError('claims', message || 'Your organization requires you to sign in again.', { claims: decodeClaims(challenge.claims) });
      }
      return new InvocationError('unauthorized', message || 'Your sign-in was not accepted.');
    case 403:
      return new InvocationError('forbidden', message || 'Access denied.');
    case 404:
      return new InvocationError('expired', message || 'This conversation has expired.');
    case 503: {
      const after = Number(res.headers.get('Retry-After')) || 0;
      return new InvocationError('unavailable', message || 'The service is temporarily unavailable.', { retryAfter: after });
    }
    case 400:
    case 413:
      return new InvocationError('invalid', message || 'The request was not accepted.');
  }
  return new InvocationError('server', message || `The assistant failed (HTTP ${res.status}).`);
}

/** parseChallenge reads the auth-params of a Bearer challenge. */
export function parseChallenge(header) {
  const out = {};
  if (!/^\s*Bearer\b/i.test(header)) return out;
  const re = /([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  let m;
  while ((m = re.exec(header)) !== null) {
    out[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  return out;
}

/**
 * decodeClaims turns a challenge's claims value into the JSON the
 * authorize endpoint takes: Entra sends it base64-encoded; plain JSON is
 * accepted too. Anything else is dropped.
 */
export function decodeClaims(value) {
  const isJSON = (s) => {
    try {
      return typeof JSON.parse(s) === 'object';
    } catch {
      return false;
    }
  };
  if (isJSON(value)) return value;
  try {
    const bin = atob(value);
    const text = new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
    if (isJSON(text)) return text;
  } catch {
    // not base64
  }
  return '';
}
