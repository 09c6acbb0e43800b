import { ErrorBody } from '@kb/contracts';
import { useTestService } from '../helpers/service.js';
import { useForgeTestService } from '../helpers/forge-service.js';

const QUESTION = JSON.stringify({ message: 'How do I reindex the knowledge base?' });

/** A 429 in the contract's shape, with a Retry-After in whole seconds (at most the one-minute window). */
async function expectRateLimited(res: Response, message: RegExp) {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
  const error = ErrorBody.parse(await res.json()).error;
  expect(error.code).toBe('rate_limited');
  expect(error.message).toMatch(message);
}

const upload = (url: string, name: string, headers: Record<string, string> = {}) => {
  const form = new FormData();
  form.append('file', new Blob([`# ${name}\n\nAn uploaded note.`]), `${name}.md`);
  return fetch(`${url}/api/v1/documents`, { method: 'POST', body: form, headers });
};

describe('per-caller rate limits', () => {
  describe('questions, per API key', () => {
    const t = useTestService({ API_KEYS: 'key-a,key-b', RATE_LIMIT_CHAT_PER_MINUTE: '2' });
    const ask = (key: string) =>
      fetch(`${t.url}/api/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: QUESTION,
      });

    it('answers a caller’s first questions, then 429 with Retry-After, while another key still asks', async () => {
      expect((await ask('key-a')).status).toBe(200);
      expect((await ask('key-a')).status).toBe(200);
      await expectRateLimited(await ask('key-a'), /too many questions: at most 2 a minute per caller/);
      expect((await ask('key-b')).status).toBe(200);
    });
  });

  describe('uploads, per client address without keys', () => {
    const t = useTestService({ RATE_LIMIT_UPLOADS_PER_MINUTE: '1' });

    it('indexes the first upload, refuses the next, and leaves other addresses and questions alone', async () => {
      expect((await upload(t.url, 'first')).status).toBe(201);
      await expectRateLimited(await upload(t.url, 'second'), /too many uploads: at most 1 a minute/);
      // Requests arrive from loopback, where X-Forwarded-For is trusted: this stands for another client.
      expect((await upload(t.url, 'third', { 'x-forwarded-for': '198.51.100.20' })).status).toBe(201);
      const ask = await fetch(`${t.url}/api/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: QUESTION,
      });
      expect(ask.status).toBe(200);
    });
  });

  describe('X-Forwarded-For, only from the proxies TRUST_PROXY names', () => {
    // The service's own callers come from loopback, which this setting no longer trusts.
    const t = useTestService({ RATE_LIMIT_UPLOADS_PER_MINUTE: '1', TRUST_PROXY: '192.0.2.0/24' });

    it('ignores a forwarded address from an untrusted peer: a new header is not a new budget', async () => {
      expect((await upload(t.url, 'first', { 'x-forwarded-for': '198.51.100.30' })).status).toBe(201);
      await expectRateLimited(
        await upload(t.url, 'second', { 'x-forwarded-for': '198.51.100.31' }),
        /too many uploads/,
      );
    });
  });

  describe('failed authentication, per client address', () => {
    const t = useTestService({
      API_KEYS: 'right-key',
      ADMIN_API_KEYS: 'admin-key',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3',
    });
    const ask = (key: string, address: string) =>
      fetch(`${t.url}/api/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key, 'x-forwarded-for': address },
        body: QUESTION,
      });

    it('allows an address three wrong keys, then refuses it every key until it has waited', async () => {
      const guesser = '203.0.113.9';
      for (let i = 0; i < 3; i++) expect((await ask(`guess-${i}`, guesser)).status).toBe(401);
      await expectRateLimited(await ask('guess-3', guesser), /too many failed authentication attempts/);
      // Even the right key: otherwise the one guess answered 200 instead of 429 would give the key away.
      await expectRateLimited(await ask('right-key', guesser), /too many failed authentication attempts/);
      expect((await ask('right-key', '203.0.113.10')).status).toBe(200);
      expect((await ask('wrong', '203.0.113.10')).status).toBe(401);
    });

    it('does not count calls that sent no credential: a tab left open must not lock out its office', async () => {
      const office = '203.0.113.40';
      const bare = () =>
        fetch(`${t.url}/api/v1/chat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': office },
          body: QUESTION,
        });
      for (let i = 0; i < 5; i++) expect((await bare()).status).toBe(401);
      expect((await ask('right-key', office)).status).toBe(200);
    });

    it('counts wrong keys sent to /readyz too, so readiness detail cannot be used to test admin keys', async () => {
      const prober = '203.0.113.30';
      const ready = (key: string) =>
        fetch(`${t.url}/readyz`, { headers: { 'x-api-key': key, 'x-forwarded-for': prober } });
      for (let i = 0; i < 3; i++) expect((await ready(`admin-guess-${i}`)).status).toBe(200);
      await expectRateLimited(await ask('right-key', prober), /too many failed authentication attempts/);
      const withAdminKey = (await (await ready('admin-key')).json()) as { checks: { store: object } };
      expect(withAdminKey.checks.store).not.toHaveProperty('detail');
    });
  });

  describe('Forge calls', () => {
    const service = useForgeTestService({
      API_KEYS: 'right-key',
      RATE_LIMIT_CHAT_PER_MINUTE: '1',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '1',
    });
    const ask = (headers: Record<string, string>) =>
      fetch(`${service.t.url}/api/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: QUESTION,
      });
    const asUser = async (principal: string, address = '192.0.2.1') => ({
      authorization: `Bearer ${await service.forge.token({ principal })}`,
      'x-forwarded-for': address,
    });

    it('budgets questions per user of an installation, not per installation', async () => {
      expect((await ask(await asUser('acc-ann'))).status).toBe(200);
      await expectRateLimited(await ask(await asUser('acc-ann')), /too many questions/);
      expect((await ask(await asUser('acc-ben'))).status).toBe(200);
    });

    it('still checks a signed token from an address locked out for bad keys (signatures cannot be guessed)', async () => {
      const shared = '192.0.2.50';
      expect((await ask({ 'x-api-key': 'guess', 'x-forwarded-for': shared })).status).toBe(401);
      await expectRateLimited(
        await ask({ 'x-api-key': 'guess-2', 'x-forwarded-for': shared }),
        /failed authentication/,
      );
      expect((await ask(await asUser('acc-cat', shared))).status).toBe(200);
      await expectRateLimited(
        await ask({ authorization: 'Bearer not.a.token', 'x-forwarded-for': shared }),
        /failed authentication/,
      );
    });
  });
});
