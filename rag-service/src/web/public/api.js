// The page's calls to the service. The page calls as whoever it is on this service: the one local user in
// open mode, or the API key the reader typed in (kept for this browser tab only).

const KEY_STORAGE = 'kb.apiKey';

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE) ?? '';
}

/** Set when the service refused the key the page sent (not when the page had none to send). */
let rejected = false;

export function rememberKey(key) {
  rejected = false;
  sessionStorage.setItem(KEY_STORAGE, key);
}

/**
 * Drops the key `sent` with a call the service answered 401 (keyRejected() then says so). Only that key:
 * a late 401 to a call made with an older key must not drop the one the reader has just typed.
 */
export function forgetKey(sent) {
  if (!sent || apiKey() !== sent) return;
  rejected = true;
  sessionStorage.removeItem(KEY_STORAGE);
}

export function keyRejected() {
  return rejected;
}

/** Request headers with the key, when the reader gave one. */
export function withKey(headers) {
  const key = apiKey();
  return key ? { ...headers, 'X-API-Key': key } : headers;
}

/**
 * A call with the reader's key and its JSON answer; the service's error message (never a stack) becomes
 * the ApiError's message, and a 401 drops the key that was sent.
 */
async function call(path, init) {
  const sent = apiKey();
  let res;
  try {
    res = await fetch(path, { ...init, headers: withKey(init.headers), cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, `the service could not be reached (${err.message})`);
  }
  if (res.status === 204) return undefined;
  const data = await res.json().catch(() => undefined);
  if (!res.ok) {
    if (res.status === 401) forgetKey(sent);
    throw new ApiError(
      res.status,
      data?.error?.message ?? `the service answered ${res.status}`,
      data?.error?.code,
    );
  }
  return data;
}

/** A JSON call. */
export function apiJson(path, { method = 'GET', body } = {}) {
  return call(path, {
    method,
    headers:
      body === undefined
        ? { Accept: 'application/json' }
        : { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A multipart upload of `form` (the browser sets its content type, with the boundary). */
export function apiUpload(path, form) {
  return call(path, { method: 'POST', headers: { Accept: 'application/json' }, body: form });
}
