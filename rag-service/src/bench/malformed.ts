import { ErrorBody } from '@kb/contracts';
import { seededRandom } from './random.js';

/** One request a careless or hostile client could send. */
export interface MalformedRequest {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface MalformedOutcome {
  request: MalformedRequest;
  status: number;
  /** Why the answer breaks the contract (a 5xx, or an error body not in the contract's shape). */
  problem?: string;
}

const JUNK_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  '',
  ' ',
  'x'.repeat(5000),
  '\u0000\u0001',
  '💥'.repeat(100),
  [],
  [null],
  {},
  { $gt: '' },
  { __proto__: { admin: true } },
  'javascript:alert(1)',
  '../../etc/passwd',
];

function deep(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** Chat bodies that break one rule of the contract each, and some that break many. */
function chatBodies(pick: <T>(items: readonly T[]) => T): string[] {
  const junk = () => pick(JUNK_VALUES);
  return [
    JSON.stringify({ message: junk() }),
    JSON.stringify({ message: 'ok', history: junk() }),
    JSON.stringify({ message: 'ok', history: [{ role: junk(), content: 'x' }] }),
    JSON.stringify({
      message: 'ok',
      history: Array.from({ length: 21 }, () => ({ role: 'user', content: 'x' })),
    }),
    JSON.stringify({ message: 'ok', conversationId: junk() }),
    JSON.stringify({ message: 'ok', filters: { spaceKeys: junk() } }),
    JSON.stringify({ message: 'ok', filters: junk() }),
    JSON.stringify({ message: 'ok', context: { product: junk(), issue: junk() } }),
    JSON.stringify({ message: 'x'.repeat(4001) }),
    JSON.stringify(junk()),
    '{"message": "unterminated',
    deep(5000),
    `{"message":"ok",${'"a":1,'.repeat(2000)}"b":2}`,
    'not json at all',
  ];
}

/**
 * At least `count` malformed requests across every route: bad JSON, wrong types, out-of-range values,
 * wrong content types, unknown ids, path tricks, wrong methods, bad credentials. Valid credentials are
 * sent where the route needs them, so the request reaches the code that must reject it.
 */
export function malformedRequests(
  count: number,
  keys: { chat: string; admin: string },
  seed = 1,
): MalformedRequest[] {
  const rnd = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const json = (key: string) => ({ 'content-type': 'application/json', 'x-api-key': key });
  const makers: (() => MalformedRequest)[] = [
    () => ({
      name: 'chat: bad body',
      method: 'POST',
      path: '/api/v1/chat',
      headers: json(keys.chat),
      body: pick(chatBodies(pick)),
    }),
    () => ({
      name: 'chat: streamed, bad body',
      method: 'POST',
      path: '/api/v1/chat',
      headers: { ...json(keys.chat), accept: 'text/event-stream' },
      body: pick(chatBodies(pick)),
    }),
    () => ({
      name: 'chat: wrong content type',
      method: 'POST',
      path: '/api/v1/chat',
      headers: {
        'content-type': pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
        ]),
        'x-api-key': keys.chat,
      },
      body: 'message=hello',
    }),
    () => ({
      name: 'chat: bad credentials',
      method: 'POST',
      path: '/api/v1/chat',
      headers: {
        'content-type': 'application/json',
        ...pick<Record<string, string>>([
          { 'x-api-key': 'wrong' },
          { authorization: 'Bearer not.a.token' },
          { authorization: 'Basic abc' },
          { authorization: 'Bearer' },
          {},
        ]),
      },
      body: '{"message":"hello"}',
    }),
    () => ({
      name: 'upload: not multipart or broken multipart',
      method: 'POST',
      path: '/api/v1/documents',
      headers: {
        'content-type': pick(['application/json', 'multipart/form-data; boundary=zz', 'multipart/form-data']),
        'x-api-key': keys.chat,
      },
      body: pick(['{}', '--zz\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc', '--zz--\r\n', '']),
    }),
    () => {
      const filename = pick(['evil.exe', 'a.md', '', '../../x.md', 'x'.repeat(300) + '.md', 'photo.png']);
      const content = pick(['', '\u0000\u0001binary', '# Title\n\nok', '\u00ff\u00fe']);
      const field = pick(['file', 'document', 'file[]']);
      const body = `--b\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n--b--\r\n`;
      return {
        name: 'upload: odd file',
        method: 'POST',
        path: '/api/v1/documents',
        headers: { 'content-type': 'multipart/form-data; boundary=b', 'x-api-key': keys.chat },
        body,
      };
    },
    () => ({
      name: 'reindex: bad body',
      method: 'POST',
      path: '/api/v1/admin/reindex',
      headers: json(keys.admin),
      body: pick([
        JSON.stringify({ source: pick(JUNK_VALUES) }),
        JSON.stringify({ spaceKeys: pick(JUNK_VALUES) }),
        JSON.stringify({ full: pick(['yes', 1, null, {}]) }),
        JSON.stringify({ source: 'confluence' }),
        '[]',
        '{',
      ]),
    }),
    () => ({
      name: 'admin: chat key',
      method: 'POST',
      path: '/api/v1/admin/reindex',
      headers: json(keys.chat),
      body: '{}',
    }),
    () => {
      const id = pick([
        'nope',
        '..%2F..%2Fetc',
        '%00',
        'x'.repeat(2000),
        '💥',
        '%E0%A4%A',
        '1 OR 1=1',
        'a/b',
      ]);
      const tail = pick(['', '/cancel']);
      return {
        name: 'jobs: unknown or odd id',
        method: tail ? 'POST' : 'GET',
        path: `/api/v1/admin/jobs/${id}${tail}`,
        headers: { 'x-api-key': keys.admin },
      };
    },
    () => {
      const path = pick([
        '/api/v1/chat',
        '/api/v1/documents',
        '/api/v1/admin/reindex',
        '/api/v1/admin/jobs',
        '/api/v1/admin/index',
        '/healthz',
        '/readyz',
        '/api/v2/chat',
        '/api',
        '/api/v1/admin/jobs/x/cancel',
      ]);
      const method = pick(['PUT', 'DELETE', 'PATCH', 'GET', 'POST']);
      return {
        name: 'wrong method or route',
        method,
        path,
        headers: { 'x-api-key': keys.admin, 'content-type': 'application/json' },
        body: method === 'GET' ? undefined : '{}',
      };
    },
    () => ({
      name: 'query junk',
      method: 'GET',
      path: `${pick(['/api/v1/admin/jobs', '/api/v1/admin/index', '/openapi.json', '/readyz'])}?${pick(['limit=-1', 'limit=abc', 'a[b][c]=1', '%%%', 'x='.repeat(500)])}`,
      headers: { 'x-api-key': keys.admin },
    }),
    () => ({
      name: 'oversized body',
      method: 'POST',
      path: pick(['/api/v1/chat', '/api/v1/admin/reindex']),
      headers: json(keys.admin),
      body: JSON.stringify({ message: 'x'.repeat(1_100_000) }),
    }),
  ];
  const requests: MalformedRequest[] = [];
  // Every maker at least once, then random ones up to the count.
  for (const make of makers) requests.push(make());
  while (requests.length < count) requests.push(pick(makers)());
  return requests;
}

/** Sends one request and checks the answer against the contract: never a 5xx, every error in its shape. */
export async function probe(baseUrl: string, request: MalformedRequest): Promise<MalformedOutcome> {
  const res = await fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  });
  const text = await res.text();
  if (res.status >= 500)
    return { request, status: res.status, problem: `HTTP ${res.status}: ${text.slice(0, 200)}` };
  if (res.status >= 400) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { request, status: res.status, problem: `error body is not JSON: ${text.slice(0, 200)}` };
    }
    if (!ErrorBody.safeParse(parsed).success)
      return {
        request,
        status: res.status,
        problem: `error body not in the contract's shape: ${text.slice(0, 200)}`,
      };
    if (/\bat .+:\d+:\d+\)?/.test(text))
      return { request, status: res.status, problem: 'error body carries a stack trace' };
  }
  return { request, status: res.status };
}

/** Runs every request, `concurrency` at a time. */
export async function probeAll(
  baseUrl: string,
  requests: readonly MalformedRequest[],
  concurrency = 16,
): Promise<MalformedOutcome[]> {
  const outcomes: MalformedOutcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) {
        const i = next++;
        outcomes[i] = await probe(baseUrl, requests[i]!);
      }
    }),
  );
  return outcomes;
}
