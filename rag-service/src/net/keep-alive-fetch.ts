import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';

/**
 * `fetch` for the model clients' calls (and the bench's load generator), over node:http with keep-alive
 * sockets.
 *
 * Why not Node's own fetch (undici, in Node 20): in a loop of small JSON calls it took 0.41 ms of CPU a
 * call against 0.17 ms here, and its objects outlived young-generation collections — about 3 MB promoted
 * to the old generation per scavenge and 4–5 ms pauses, against nothing promoted and 0.3 ms here. With
 * both model calls of a chat on this transport the service answers ~1.5× the chats per second at
 * concurrency 16 and runs half as many full collections (docs/benchmarks.md).
 *
 * It covers what the OpenAI SDK sends — string or byte bodies to http(s) URLs, an abort signal — and
 * hands anything else (Request objects, form or stream bodies, other protocols, redirects to follow)
 * to the standard fetch, so callers see fetch's behaviour either way.
 */
export const keepAliveFetch: typeof fetch = (input, init) => {
  const url = typeof input === 'string' ? safeUrl(input) : input instanceof URL ? input : undefined;
  const body = init?.body;
  if (!url || !(url.protocol === 'http:' || url.protocol === 'https:') || !isReplayable(body)) {
    return fetch(input, init);
  }
  return request(url, init ?? {}, body ?? undefined, true).then((response) =>
    isRedirect(response.status) && init?.redirect !== 'manual'
      ? followWithFetch(response, input, init)
      : response,
  );
};

const agents = {
  // Idle sockets are closed before a typical server's keep-alive timeout (Node's is 5 s) would close them.
  'http:': new http.Agent({ keepAlive: true, timeout: 4_000 }),
  'https:': new https.Agent({ keepAlive: true, timeout: 4_000 }),
};

type ReplayableBody = string | Uint8Array | ArrayBuffer | URLSearchParams;

function request(
  url: URL,
  init: RequestInit,
  body: ReplayableBody | undefined,
  mayRetry: boolean,
): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const payload = encode(body);
  return new Promise<Response>((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method: (init.method ?? 'GET').toUpperCase(),
      headers: requestHeaders(init.headers, body, payload),
      agent: agents[url.protocol as 'http:' | 'https:'],
    });
    let responseBody: Readable | undefined;
    // An abort before the headers rejects the call; after them it errors the body, as fetch's does.
    const onAbort = () => {
      const reason = abortReason(signal!);
      responseBody?.destroy(reason);
      req.destroy(reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const forgetSignal = () => signal?.removeEventListener('abort', onAbort);
    req.on('error', (err) => {
      if (responseBody) return;
      forgetSignal();
      if (signal?.aborted) return reject(abortReason(signal));
      // A kept-alive socket the server closed while idle fails at once; the request never reached it.
      if (mayRetry && req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
        return resolve(request(url, init, body, false));
      }
      reject(new TypeError('fetch failed', { cause: err }));
    });
    req.on('response', (res) => {
      res.once('close', forgetSignal);
      responseBody = decode(res, res.headers['content-encoding']);
      resolve(toResponse(res, responseBody, req.method));
    });
    req.end(payload);
  });
}

function toResponse(res: IncomingMessage, body: Readable, method: string): Response {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const status = res.statusCode ?? 0;
  const init = { status, statusText: res.statusMessage ?? '', headers };
  if (method === 'HEAD' || NULL_BODY_STATUSES.has(status)) {
    res.resume();
    return new Response(null, init);
  }
  // Node's web-stream type and the DOM lib's differ only in typing; they are one class at run time.
  return new Response(Readable.toWeb(body) as unknown as ReadableStream<Uint8Array>, init);
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function decode(res: IncomingMessage, encoding: string | undefined): Readable {
  const decoder = decoderFor(encoding?.trim().toLowerCase());
  if (!decoder) return res;
  // A cut-off response must fail its decoded body too, not leave it waiting.
  res.once('error', (err) => decoder.destroy(err));
  res.once('aborted', () => decoder.destroy(new Error('aborted')));
  return res.pipe(decoder);
}

function decoderFor(
  encoding: string | undefined,
): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH });
    case 'deflate':
      return zlib.createInflate({ flush: zlib.constants.Z_SYNC_FLUSH });
    case 'br':
      return zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH });
    default:
      return undefined;
  }
}

function requestHeaders(
  init: HeadersInit | undefined,
  body: ReplayableBody | undefined,
  payload: Buffer | undefined,
): Record<string, string> {
  const headers = new Headers(init);
  if (body instanceof URLSearchParams && !headers.has('content-type')) {
    headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
  } else if (typeof body === 'string' && !headers.has('content-type')) {
    headers.set('content-type', 'text/plain;charset=UTF-8');
  }
  if (payload) headers.set('content-length', String(payload.length));
  if (!headers.has('accept-encoding')) headers.set('accept-encoding', 'gzip, deflate, br');
  if (!headers.has('accept')) headers.set('accept', '*/*');
  const plain: Record<string, string> = {};
  headers.forEach((value, name) => (plain[name] = value));
  return plain;
}

function encode(body: ReplayableBody | undefined): Buffer | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function isReplayable(body: unknown): body is ReplayableBody | null | undefined {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    body instanceof ArrayBuffer ||
    body instanceof URLSearchParams
  );
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Redirects are rare on model APIs; the standard fetch follows them with all of its rules. */
async function followWithFetch(
  redirect: Response,
  input: Parameters<typeof fetch>[0],
  init: RequestInit | undefined,
): Promise<Response> {
  await redirect.body?.cancel();
  return fetch(input, init);
}

/** The signal's reason, as fetch rejects with it (an AbortError DOMException unless the caller gave one). */
function abortReason(signal: AbortSignal): Error {
  return signal.reason as Error;
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
