import {
  ChatRequest,
  ChatResponse,
  Conversation,
  ConversationList,
  ERROR_STATUS,
  Feedback,
  FeedbackRequest,
  IndexStatus,
  Insights,
  Job,
  JobList,
  ReindexRequest,
  type SyncSource,
  emptyProgress,
  type ErrorCode,
} from '@kb/contracts';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { NotTheCallers, StoredConversations } from './stored-conversations';

/** A reply of the double: a status and a JSON body. */
export interface DoubleReply {
  status: number;
  body: unknown;
}

/** One request the double received: `at` is the clock when it arrived (a fake clock under fake timers). */
export interface DoubleRequest {
  method: string;
  path: string;
  body: unknown;
  headers: http.IncomingHttpHeaders;
  at: number;
  /** Set when the caller gave up on it (its abort signal fired) while the double was still answering. */
  aborted?: boolean;
}

/**
 * rag-service's HTTP contract, served for the Forge app's tests: every request body is checked with the
 * contract's schemas and every reply is parsed with them before it leaves, so the double cannot drift
 * from the service. Faults (an error code, a delay) are queued per test. It answers over HTTP (`start`),
 * or in process (`serveInMemory`) for tests that drive time with jest's fake timers, where a socket's
 * real I/O would not follow the fake clock. The real service meets the real resolvers in
 * rag-service/test/e2e/forge-app.test.ts.
 */
export class ServiceDouble {
  readonly requests: DoubleRequest[] = [];
  private readonly faults: { code: ErrorCode; message: string }[] = [];
  /** Replaces parts of the next chat answers, one per question (a long answer, many sources, Markdown). */
  readonly nextAnswers: Partial<ChatResponse>[] = [];
  private readonly jobs: Job[] = [];
  delayMs = 0;
  /** While set, every reply waits for it: see `hold`. */
  private held: Promise<void> | undefined;
  /** What the index status says an admin must fix (the service's `notices`). */
  notices: string[] = [];
  /** The sources the service can sync (its status's `sources`). */
  sources: SyncSource[] = ['confluence', 'files'];
  /** How much a running job advances on each look, so a test can watch it progress. */
  progressStep = 40;
  /** The service's HISTORY: off, chat replies carry `messageId: null` and the history routes do not exist. */
  history: 'on' | 'off' = 'on';
  readonly conversations = new StoredConversations();
  /** What the insights route answers (with history on); a test sets the figures it expects to see drawn. */
  insights: Insights | undefined;
  private server?: http.Server;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handleHttp(req, res));
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

  /**
   * Holds every reply until the returned function is called: a test can look at the page while a call is
   * under way (its loading state) for as long as it needs, whatever the machine's speed; no clock involved.
   */
  hold(): () => void {
    let release = (): void => undefined;
    this.held = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.held = undefined;
      release();
    };
  }

  /** The double as Forge's remote call would reach it, without a socket: for FakeForgeRuntime. */
  readonly serveInMemory = async (request: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: string | undefined;
    signal?: AbortSignal;
  }): Promise<Response> => {
    const record: DoubleRequest = {
      method: request.method,
      path: request.path,
      body: request.body ? (JSON.parse(request.body) as unknown) : undefined,
      headers: request.headers,
      at: Date.now(),
    };
    request.signal?.addEventListener('abort', () => (record.aborted = true));
    const { status, body } = await this.answer(record, () => record.aborted === true);
    if (status === 204) return new Response(null, { status });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };

  private async handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const record: DoubleRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      body: text ? (JSON.parse(text) as unknown) : undefined,
      headers: req.headers,
      at: Date.now(),
    };
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
    });
    const { status, body } = await this.answer(record, () => res.destroyed);
    if (res.destroyed) return;
    if (status === 204) res.writeHead(204).end();
    else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private async answer(request: DoubleRequest, gone: () => boolean): Promise<DoubleReply> {
    this.requests.push(request);
    if (this.held) await this.held;
    // unref: a delayed reply the client gave up on must not keep jest alive.
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs).unref());
    // Nobody is waiting: a queued fault is kept for the next request that will be answered.
    if (gone()) return { status: 499, body: {} };
    const fault = this.faults.shift();
    if (fault) return { status: ERROR_STATUS[fault.code], body: { error: fault } };
    try {
      return this.route(request);
    } catch (error) {
      if (error instanceof NotTheCallers) return failure(404, 'not_found', error.message);
      return { status: 400, body: { error: { code: 'invalid_request', message: String(error) } } };
    }
  }

  private route(request: DoubleRequest): DoubleReply {
    const { method, body } = request;
    const url = new URL(request.path, 'http://double');
    const path = url.pathname;
    if (method === 'POST' && path === '/api/v1/chat') return this.chat(request);
    if (path.startsWith('/api/v1/conversations') || path.startsWith('/api/v1/messages/'))
      return this.history === 'on'
        ? this.conversationRoute(method, url, body, callerOf(request))
        : failure(404, 'not_found', `no route ${method} ${path}`);
    if (method === 'GET' && path === '/api/v1/admin/index') return reply(200, IndexStatus, this.status());
    if (method === 'GET' && path === '/api/v1/admin/insights') {
      if (this.history === 'off')
        return failure(404, 'not_found', 'insights are off on this service: HISTORY=off keeps no questions');
      const days = Number(url.searchParams.get('days') ?? 30);
      return reply(200, Insights, { ...(this.insights ?? emptyInsights(days)), days });
    }
    if (method === 'POST' && path === '/api/v1/admin/reindex')
      return this.reindex(ReindexRequest.parse(body));
    if (method === 'GET' && path === '/api/v1/admin/jobs')
      return reply(200, JobList, { jobs: [...this.jobs].reverse() });
    const job = /^\/api\/v1\/admin\/jobs\/([^/]+)(\/cancel)?$/.exec(path);
    const found = job ? this.jobs.find((j) => j.id === decodeURIComponent(job[1]!)) : undefined;
    if (job && !found) return failure(404, 'not_found', 'no such job');
    if (found && method === 'GET' && !job![2]) return reply(200, Job, this.advance(found));
    if (found && method === 'POST' && job![2]) {
      if (found.state !== 'running') return failure(409, 'conflict', 'not running');
      Object.assign(found, { state: 'cancelled', finishedAt: new Date().toISOString() });
      return reply(200, Job, found);
    }
    return failure(404, 'not_found', `no route ${method} ${path}`);
  }

  /**
   * With history on, a question continues the caller's stored conversation from its stored turns (the
   * client's `history` is ignored, as the service does) or starts one; the answer says how many turns it saw.
   */
  private chat(record: DoubleRequest): DoubleReply {
    const request = ChatRequest.parse(record.body);
    if (this.history === 'off') {
      const base = answer(request, request.history?.length ?? 0);
      return reply(200, ChatResponse, { ...base, messageId: null, ...(this.nextAnswers.shift() ?? {}) });
    }
    const owner = callerOf(record);
    const conversation = this.conversations.continueOrStart(owner, request.conversationId, request.message);
    const base = answer(request, conversation.messages.length);
    const override = this.nextAnswers.shift() ?? {};
    const response = { ...base, conversationId: conversation.id, ...override };
    // The service still answers when storing the turn fails (its database is down): nothing kept to rate.
    if (override.messageId === null) return reply(200, ChatResponse, response);
    const messageId = this.conversations.record(
      conversation,
      request.context?.product ?? null,
      request.message,
      { content: response.answer, sources: response.sources },
    );
    return reply(200, ChatResponse, { ...response, messageId });
  }

  private conversationRoute(method: string, url: URL, body: unknown, owner: string): DoubleReply {
    const path = url.pathname;
    if (method === 'GET' && path === '/api/v1/conversations') {
      const limit = url.searchParams.get('limit');
      const cursor = url.searchParams.get('cursor') ?? undefined;
      return reply(
        200,
        ConversationList,
        this.conversations.list(owner, limit === null ? undefined : Number(limit), cursor),
      );
    }
    const one = /^\/api\/v1\/conversations\/([^/]+)$/.exec(path);
    if (one && method === 'GET')
      return reply(200, Conversation, this.conversations.get(owner, decodeURIComponent(one[1]!)));
    if (one && method === 'DELETE') {
      this.conversations.delete(owner, decodeURIComponent(one[1]!));
      return { status: 204, body: undefined };
    }
    const rated = /^\/api\/v1\/messages\/([^/]+)\/feedback$/.exec(path);
    if (rated && method === 'POST') {
      const feedback = FeedbackRequest.parse(body);
      return reply(200, Feedback, this.conversations.rate(owner, decodeURIComponent(rated[1]!), feedback));
    }
    return failure(404, 'not_found', `no route ${method} ${path}`);
  }

  private reindex(request: ReindexRequest): DoubleReply {
    const running = this.jobs.find((j) => j.state === 'running');
    if (running) {
      return {
        status: 409,
        body: {
          error: {
            code: 'conflict',
            message: `job ${running.id} is still running`,
            details: { jobId: running.id },
          },
        },
      };
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
    return { status: 202, body: { jobId: job.id } };
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
      sources: [...this.sources],
      notices: [...this.notices],
    };
  }
}

/** The answer's cited source: a Confluence page, linked at the section the passage comes from. */
export const CITED_SOURCE = {
  title: 'API tokens › Rotate the token',
  url: 'https://example.atlassian.net/wiki/spaces/ENG/pages/123#Rotate-the-token',
} as const;

/**
 * Whose conversations a request reaches. The service reads the caller from the Forge Invocation Token
 * (installation and account); the test runtime signs no token, so the double takes the same account from
 * the header the resolvers send with it, which comes from Forge's context just as the token's does.
 */
export function callerOf(request: Pick<DoubleRequest, 'headers'>): string {
  const account = request.headers['x-forge-account-id'];
  return typeof account === 'string' ? `forge::${account}` : 'local';
}

/** A cited answer that shows what the service was asked, so tests can see context and history arrive. */
function answer(request: ChatRequest, turns: number): ChatResponse {
  return {
    answer: `Answer to "${request.message}" after ${String(turns)} turns [1].`,
    sources: [
      {
        n: 1,
        id: 'confluence:page:123#0',
        ...CITED_SOURCE,
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
    messageId: null,
    model: { llm: 'none', embeddings: 'none' },
  };
}

function reply<S extends z.ZodType>(status: number, schema: S, body: z.input<S>): DoubleReply {
  return { status, body: schema.parse(body) };
}

function failure(status: number, code: ErrorCode, message: string): DoubleReply {
  return { status, body: { error: { code, message } } };
}

/** Insights of a service nobody has asked yet: every day of the period at zero. */
function emptyInsights(days: number): Insights {
  const to = new Date();
  const perDay = Array.from({ length: days }, (_, i) => ({
    date: new Date(to.getTime() - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10),
    questions: 0,
    unanswered: 0,
    up: 0,
    down: 0,
  }));
  return {
    days,
    from: `${perDay[0]!.date}T00:00:00.000Z`,
    to: to.toISOString(),
    scope: 'installation',
    totals: { questions: 0, conversations: 0, users: 0, answered: 0, unanswered: 0 },
    feedback: {
      up: 0,
      down: 0,
      reasons: { wrong: 0, outdated: 0, incomplete: 0, not_relevant: 0, other: 0 },
    },
    perDay,
    gaps: [],
    gapsGroupedBy: 'words',
    topSources: [],
    perSpace: [],
    perProduct: [],
  };
}
