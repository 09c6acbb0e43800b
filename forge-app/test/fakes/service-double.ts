import {
  ChatRequest,
  ChatResponse,
  ERROR_STATUS,
  IndexStatus,
  Job,
  JobList,
  ReindexRequest,
  emptyProgress,
  type ErrorCode,
} from '@kb/contracts';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';

/**
 * rag-service's HTTP contract, served for the Forge app's tests: every request body is checked with the
 * contract's schemas and every reply is parsed with them before it leaves, so the double cannot drift
 * from the service. Faults (an error code, a delay) are queued per test. The real service meets the
 * real resolvers in rag-service/test/e2e/forge-app.test.ts.
 */
export class ServiceDouble {
  readonly requests: { method: string; path: string; body: unknown; headers: http.IncomingHttpHeaders }[] =
    [];
  private readonly faults: { code: ErrorCode; message: string }[] = [];
  private readonly jobs: Job[] = [];
  delayMs = 0;
  /** How much a running job advances on each look, so a test can watch it progress. */
  progressStep = 40;
  private server?: http.Server;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${String((this.server.address() as AddressInfo).port)}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The next request gets this contract error. */
  failNext(code: ErrorCode, message = `simulated ${code}`): void {
    this.faults.push({ code, message });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body: unknown = text ? JSON.parse(text) : undefined;
    const path = req.url ?? '/';
    this.requests.push({ method: req.method ?? 'GET', path, body, headers: req.headers });
    // unref: a delayed reply the client gave up on must not keep jest alive.
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs).unref());
    if (res.destroyed) return;
    const fault = this.faults.shift();
    if (fault) {
      send(res, ERROR_STATUS[fault.code], { error: fault });
      return;
    }
    try {
      this.route(req.method ?? 'GET', path, body, res);
    } catch (error) {
      send(res, 400, { error: { code: 'invalid_request', message: String(error) } });
    }
  }

  private route(method: string, path: string, body: unknown, res: http.ServerResponse): void {
    if (method === 'POST' && path === '/api/v1/chat')
      return reply(res, 200, ChatResponse, answer(ChatRequest.parse(body)));
    if (method === 'GET' && path === '/api/v1/admin/index')
      return reply(res, 200, IndexStatus, this.status());
    if (method === 'POST' && path === '/api/v1/admin/reindex')
      return this.reindex(ReindexRequest.parse(body), res);
    if (method === 'GET' && path === '/api/v1/admin/jobs')
      return reply(res, 200, JobList, { jobs: [...this.jobs].reverse() });
    const job = /^\/api\/v1\/admin\/jobs\/([^/]+)(\/cancel)?$/.exec(path);
    const found = job ? this.jobs.find((j) => j.id === decodeURIComponent(job[1]!)) : undefined;
    if (job && !found) return send(res, 404, { error: { code: 'not_found', message: 'no such job' } });
    if (found && method === 'GET' && !job![2]) return reply(res, 200, Job, this.advance(found));
    if (found && method === 'POST' && job![2]) {
      if (found.state !== 'running')
        return send(res, 409, { error: { code: 'conflict', message: 'not running' } });
      Object.assign(found, { state: 'cancelled', finishedAt: new Date().toISOString() });
      return reply(res, 200, Job, found);
    }
    send(res, 404, { error: { code: 'not_found', message: `no route ${method} ${path}` } });
  }

  private reindex(request: ReindexRequest, res: http.ServerResponse): void {
    const running = this.jobs.find((j) => j.state === 'running');
    if (running) {
      return send(res, 409, {
        error: {
          code: 'conflict',
          message: `job ${running.id} is still running`,
          details: { jobId: running.id },
        },
      });
    }
    const job: Job = {
      id: `job-${String(this.jobs.length + 1)}`,
      source: request.source ?? 'confluence',
      state: 'running',
      full: request.full ?? false,
      spaceKeys: request.spaceKeys ?? [],
      progress: { ...emptyProgress(), discovered: 120 },
      startedAt: new Date().toISOString(),
      finishedAt: null,
      error: null,
    };
    this.jobs.push(job);
    send(res, 202, { jobId: job.id });
  }

  /** Each look at a running job finds it further along, then finished. */
  private advance(job: Job): Job {
    if (job.state !== 'running') return job;
    const processed = Math.min(job.progress.discovered, job.progress.processed + this.progressStep);
    job.progress = { ...job.progress, processed, unchanged: processed, chunks: processed * 3 };
    if (processed === job.progress.discovered)
      Object.assign(job, { state: 'succeeded', finishedAt: new Date().toISOString() });
    return job;
  }

  private status(): IndexStatus {
    return {
      documents: 42,
      chunks: 318,
      bySource: [
        {
          source: 'confluence',
          spaceKey: 'ENG',
          documents: 30,
          chunks: 250,
          lastSyncAt: '2026-11-20T08:00:00.000Z',
        },
        {
          source: 'confluence',
          spaceKey: 'SUP',
          documents: 3,
          chunks: 20,
          lastSyncAt: '2026-11-20T08:00:00.000Z',
        },
        { source: 'files', spaceKey: null, documents: 9, chunks: 48, lastSyncAt: '2026-11-20T07:00:00.000Z' },
      ],
      lastSyncAt: '2026-11-20T08:00:00.000Z',
      store: { kind: 'embedded', location: './data/index' },
      embeddings: 'none',
      lastJob: null,
    };
  }
}

/** A cited answer that shows what the service was asked, so tests can see context and history arrive. */
function answer(request: ChatRequest): ChatResponse {
  const turns = request.history?.length ?? 0;
  return {
    answer: `Answer to "${request.message}" after ${String(turns)} turns [1].`,
    sources: [
      {
        n: 1,
        id: 'confluence:page:123#0',
        title: 'API tokens',
        url: 'https://example.atlassian.net/wiki/spaces/ENG/pages/123',
        snippet: 'Rotate it under Settings › Tokens.',
        score: 0.9,
        spaceKey: 'ENG',
        pageId: '123',
        cited: true,
      },
      {
        n: 2,
        id: 'file:guide.md#2',
        title: 'User guide',
        url: 'guide.md#tokens',
        snippet: 'Tokens expire after a year.',
        score: 0.5,
        cited: false,
      },
    ],
    conversationId: request.conversationId ?? 'conv-1',
    model: { llm: 'none', embeddings: 'none' },
  };
}

function reply<S extends z.ZodType>(
  res: http.ServerResponse,
  status: number,
  schema: S,
  body: z.input<S>,
): void {
  send(res, status, schema.parse(body));
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
