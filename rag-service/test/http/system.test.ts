import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ChatRequest, FeedbackRequest, ForgePageEvent, Readiness, ReindexRequest } from '@kb/contracts';
import request from 'supertest';
import { ROUTES } from '../../src/http/openapi.js';
import { startTestService, useTestService } from '../helpers/service.js';

interface OpenApiOperation {
  summary: string;
  description: string;
  requestBody?: { content: Record<string, { schema: { $ref: string }; example?: unknown }> };
}

describe('system routes', () => {
  const t = useTestService();

  it('GET /healthz', async () => {
    await request(t.url).get('/healthz').expect(200, { status: 'ok' });
  });

  it('GET /readyz reports each check', async () => {
    const res = await request(t.url).get('/readyz').expect(200);
    const ready = Readiness.parse(res.body);
    expect(ready.status).toBe('ok');
    expect(ready.checks.store.status).toBe('ok');
    expect(ready.checks.llm.detail).toMatch(/extractive/);
    expect(ready.checks.embeddings.detail).toMatch(/lexical/);
  });

  it('GET /readyz is degraded, saying why, while a documents folder is missing; the log warns', async () => {
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    const missing = path.join(os.tmpdir(), `kb-no-such-folder-${process.pid}-${Date.now()}`);
    const other = await startTestService({ DOCS_DIR: missing, LOG_LEVEL: 'warn' }, { logTo: sink });
    try {
      await other.synced;
      const res = await request(other.url).get('/readyz').expect(200);
      expect(res.body).toMatchObject({
        status: 'degraded',
        checks: {
          store: { status: 'ok' },
          documents: {
            status: 'degraded',
            detail: `the documents folder ${missing} does not exist (DOCS_DIR)`,
          },
        },
      });
      const warnings = logged
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { level: number; msg: string });
      expect(warnings).toContainEqual(
        expect.objectContaining({ level: 40, msg: expect.stringContaining(`${missing} does not exist`) }),
      );
      // Once the folder is there, readiness is whole again.
      await mkdir(missing);
      expect((await request(other.url).get('/readyz').expect(200)).body.status).toBe('ok');
    } finally {
      await other.close();
      await rm(missing, { recursive: true, force: true });
    }
  });

  it('GET /readyz is 503 when the store is gone', async () => {
    const other = await startTestService();
    await other.synced;
    await other.service.store.close();
    const res = await request(other.url).get('/readyz').expect(503);
    expect(res.body).toMatchObject({ status: 'down', checks: { store: { status: 'down' } } });
    const chat = await request(other.url).post('/api/v1/chat').send({ message: 'reindex' });
    expect(chat.status).toBe(503);
    expect(chat.body.error.code).toBe('upstream_unavailable');
    await other.close().catch(() => undefined);
  });

  it('GET /openapi.json gives every JSON request body an example the contract takes, and plain summaries', async () => {
    const doc = (await request(t.url).get('/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, OpenApiOperation>>;
    };
    const schemas: Record<string, { safeParse(v: unknown): { success: boolean } }> = {
      ChatRequest,
      FeedbackRequest,
      ReindexRequest,
      ForgePageEvent,
    };
    const bodies = Object.values(doc.paths)
      .flatMap((ops) => Object.values(ops))
      .flatMap((op) => Object.entries(op.requestBody?.content ?? {}))
      .filter(([type]) => type === 'application/json');
    expect(bodies).toHaveLength(Object.keys(schemas).length);
    for (const [, media] of bodies) {
      const id = media.schema.$ref.split('/').pop()!;
      expect(media.example).toBeDefined();
      expect(schemas[id]!.safeParse(media.example).success).toBe(true);
    }
    // "Try it out" with the chat example answers.
    const chat = bodies.find(([, m]) => m.schema.$ref.endsWith('/ChatRequest'))![1];
    const answered = await request(t.url)
      .post('/api/v1/chat')
      .send(chat.example as object)
      .expect(200);
    expect(answered.body.sources.length).toBeGreaterThan(0);
    for (const op of Object.values(doc.paths).flatMap((ops) => Object.values(ops))) {
      expect(op.summary).not.toMatch(/`/);
      expect(op.description.startsWith(op.summary.slice(0, 10))).toBe(true);
    }
    expect(doc.paths['/api/v1/documents']!.post!.summary).toBe(
      'Upload one document (.md, .txt, .html, .pdf; multipart field file) and index it now',
    );
  });

  it('GET /openapi.json documents every route the app serves, with the contract schemas', async () => {
    const doc = (await request(t.url).get('/openapi.json').expect(200)).body;
    expect(doc.openapi).toMatch(/^3\./);
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    for (const route of [
      'POST /api/v1/chat',
      'POST /api/v1/documents',
      'GET /api/v1/documents/{id}',
      'GET /api/v1/suggestions',
      'POST /api/v1/admin/reindex',
      'GET /api/v1/admin/jobs',
      'GET /api/v1/admin/jobs/{id}',
      'POST /api/v1/admin/jobs/{id}/cancel',
      'GET /api/v1/admin/index',
      'GET /healthz',
      'GET /readyz',
      'GET /metrics',
      'GET /openapi.json',
    ]) {
      expect(documented).toContain(route);
    }
    expect(documented).toHaveLength(ROUTES.length);
    expect(
      doc.paths['/api/v1/documents/{id}'].get.responses['200'].content['application/json'].schema,
    ).toEqual({ $ref: '#/components/schemas/DocumentView' });
    expect(doc.components.schemas.ChatRequest.properties.message).toMatchObject({
      type: 'string',
      minLength: 1,
      maxLength: 4000,
    });
    for (const ref of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)) {
      expect(doc.components.schemas[ref[1]!]).toBeDefined();
    }
  });

  it('GET /docs serves Swagger UI from local assets', async () => {
    const page = await request(t.url).get('/docs').expect(200);
    expect(page.text).toContain('swagger-ui-bundle.js');
    await request(t.url)
      .get('/docs/assets/swagger-ui-bundle.js')
      .expect(200)
      .expect('Content-Type', /javascript/);
    await request(t.url).get('/api-docs.js').expect(200);
  });

  it('GET /metrics exposes Prometheus metrics, with route patterns as labels', async () => {
    await request(t.url).post('/api/v1/chat').send({ message: 'reindex' }).expect(200);
    const res = await request(t.url).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/chat",status="200"\} \d+/,
    );
    expect(res.text).toMatch(/rag_chat_answers_total\{outcome="answered",mode="json"\} \d+/);
    expect(res.text).toContain('process_resident_memory_bytes');
  });

  it('GET / serves the chat page with a strict content security policy', async () => {
    const res = await request(t.url).get('/').expect(200);
    expect(res.text).toMatch(/<textarea[^>]*id="question"/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    // The page is also served over plain HTTP (a dev stack, a name in ALLOWED_HOSTS): no forced upgrade.
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});
