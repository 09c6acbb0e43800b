import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawRequest {
  method?: string;
  path: string;
  /** Sent as given, `Host` included (fetch always sends the URL's own host). */
  headers?: Record<string, string>;
  /** Written before waiting for the answer; with a larger `Content-Length`, the rest never comes. */
  body?: string | Buffer;
  /** Give up waiting for an answer after this long. */
  timeoutMs?: number;
}

/**
 * One request over node:http, answered or not within `timeoutMs`. The request is not ended when the
 * headers promise more body than is written, so a server that waits for the body never answers.
 */
export function rawRequest(baseUrl: string, r: RawRequest): Promise<RawResponse> {
  const url = new URL(r.path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: r.method ?? 'GET', headers: r.headers ?? {}, agent: false });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer to ${r.method ?? 'GET'} ${r.path} within ${r.timeoutMs ?? 10_000} ms`));
    }, r.timeoutMs ?? 10_000);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    if (r.body !== undefined) req.write(r.body);
    const declared = Number(r.headers?.['content-length'] ?? Buffer.byteLength(r.body ?? ''));
    if (declared <= Buffer.byteLength(r.body ?? '')) req.end();
  });
}
