import { ErrorBody } from '@kb/contracts';
import { rawRequest } from '../helpers/raw-http.js';
import { useTestService } from '../helpers/service.js';

const KEYS = { chat: 'chat-key', admin: 'admin-key' };
const MEGABYTE = 1_000_000;
const ROUTES = [
  '/api/v1/chat',
  '/api/v1/admin/reindex',
  '/api/v1/admin/jobs/some-job/cancel',
  '/api/v1/documents',
];

/** A megabyte of JSON nested as deep as it goes: costly to parse, and parsing it proves nothing about the caller. */
const nestedJson = (bytes: number) => `${'['.repeat(bytes / 2)}${']'.repeat(bytes / 2)}`;

/** Credentials are checked before a body is read: a stranger cannot make the service read and parse a megabyte. */
describe('authentication before the body', () => {
  const t = useTestService({ API_KEYS: KEYS.chat, ADMIN_API_KEYS: KEYS.admin });

  it.each(ROUTES)(
    '%s: a stranger announcing 1 MB of JSON is refused (401) before the body arrives',
    async (path) => {
      // Only the first kilobyte is sent: an answer now means nothing waited for the rest, let alone parsed it.
      const res = await rawRequest(t.url, {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', 'content-length': String(MEGABYTE) },
        body: nestedJson(MEGABYTE).slice(0, 1024),
        timeoutMs: 5_000,
      });
      expect(res.status).toBe(401);
      expect(ErrorBody.parse(JSON.parse(res.body)).error.code).toBe('unauthorized');
    },
  );

  it.each(ROUTES)(
    '%s: a stranger’s whole megabyte of broken JSON gets 401: it was never parsed',
    async (path) => {
      // One bracket short: a parser would have answered 400 "not valid JSON".
      const res = await fetch(`${t.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: nestedJson(MEGABYTE).slice(0, -1),
      });
      expect(res.status).toBe(401);
    },
  );

  it('still parses each router’s body once the caller is known', async () => {
    const post = (path: string, key: string, body: string) =>
      fetch(`${t.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body,
      });
    const answer = await post('/api/v1/chat', KEYS.chat, JSON.stringify({ message: 'How do I reindex?' }));
    expect(answer.status).toBe(200);
    const badFull = await post('/api/v1/admin/reindex', KEYS.admin, JSON.stringify({ full: 'yes' }));
    expect([badFull.status, ((await badFull.json()) as ErrorBody).error.message]).toEqual([
      400,
      expect.stringMatching(/^invalid request body: full:/),
    ]);
    expect((await post('/api/v1/admin/jobs/some-job/cancel', KEYS.admin, '{"a":')).status).toBe(400);
    const form = new FormData();
    form.append('file', new Blob(['# Parsed after auth\n\nMultipart still works.']), 'after-auth.md');
    const upload = await fetch(`${t.url}/api/v1/documents`, {
      method: 'POST',
      headers: { 'x-api-key': KEYS.chat },
      body: form,
    });
    expect(upload.status).toBe(201);
  });
});
