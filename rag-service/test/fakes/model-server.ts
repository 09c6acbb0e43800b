import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer } from './local-server.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { HashingEmbedder } from './hashing-embedder.js';
import { FaultQueue } from './fault-queue.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** The client closed the connection before the response was complete. */
  aborted: boolean;
}

/** What the next request(s) get instead of a normal answer. */
export type Fault = (
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'cut'; afterTokens: number }
  /** Answers nothing until the client hangs up or the test calls `release()`: a model that never finishes. */
  | { kind: 'hold' }
) & {
  /** How many requests it applies to (default 1). */
  times?: number;
  /** Only requests whose path matches (default: all). */
  only?: RegExp;
};

export interface Prompt {
  system: string;
  /** The conversation as role/text pairs, the last being the newest user message. */
  turns: { role: 'user' | 'assistant'; text: string }[];
}

/** The default model: answers from passage [1] of the prompt's context, citing it; condenses by joining questions. */
export function defaultReply(prompt: Prompt): string {
  const last = prompt.turns.at(-1)?.text ?? '';
  if (/standalone question/i.test(prompt.system)) {
    const previous =
      /Conversation:\n([\s\S]*?)\n\nLast user message: ([\s\S]*?)\n\nStandalone question:/.exec(last);
    const earlier =
      previous?.[1]
        ?.split('\n')
        .filter((l) => l.startsWith('User: '))
        .at(-1)
        ?.slice(6) ?? '';
    return `${earlier} ${previous?.[2] ?? last}`.trim();
  }
  const passage = /\[1\] [^\n]*\n([^\n]+)/.exec(last)?.[1];
  if (!passage) return 'The knowledge base does not cover this.';
  const sentence = /^.*?[.!?](\s|$)/.exec(passage)?.[0]?.trim() ?? passage;
  return `According to the documentation, ${sentence} [1]`;
}

/** Splits a reply into stream deltas: a word and its trailing space each. */
export function tokensOf(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

/**
 * A local HTTP server that speaks a model provider's wire format (subclasses implement the routes),
 * records every request, injects faults, and notices clients that hang up.
 */
export abstract class ModelServer extends LocalServer {
  readonly requests: RecordedRequest[] = [];
  readonly embedder: HashingEmbedder;
  reply: (prompt: Prompt) => string = defaultReply;
  tokenDelayMs = 0;
  private readonly faults = new FaultQueue<Fault>();
  /** When each recorded request's connection closed (answered or hung up): tests await it, not a sleep. */
  private readonly closings = new WeakMap<RecordedRequest, Promise<void>>();
  private readonly arrivals: { pattern: RegExp; resolve: (r: RecordedRequest) => void }[] = [];
  private readonly holds = new Set<() => void>();

  /** `dimensions`: the size of the vectors its embeddings endpoint returns (the bench uses 768 for scale). */
  constructor(
    readonly apiKey = 'test-key',
    dimensions = 64,
  ) {
    super();
    this.embedder = new HashingEmbedder(dimensions, 2048, 'server');
  }

  /** The base URL a client is configured with. */
  get baseUrl(): string {
    return this.url;
  }

  /** Queues a fault for the next requests (optionally only those whose path matches). */
  fail(fault: Fault): this {
    this.faults.push(fault);
    return this;
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Lets every request held by a `hold` fault go on to its normal answer. */
  release(): void {
    for (const go of this.holds) go();
    this.holds.clear();
  }

  /** The next request to a path `pattern` matches, once it has been received. */
  nextRequest(pattern: RegExp): Promise<RecordedRequest> {
    return new Promise((resolve) => this.arrivals.push({ pattern, resolve }));
  }

  /** Resolves once `record`'s connection has closed, whether the answer was complete (`aborted` says). */
  closed(record: RecordedRequest): Promise<void> {
    return this.closings.get(record) ?? Promise.resolve();
  }

  override async close(): Promise<void> {
    this.release();
    await super.close();
  }

  requestsTo(pattern: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => pattern.test(r.path));
  }

  protected abstract handle(
    req: RecordedRequest,
    res: ServerResponse,
    fault: Fault | undefined,
  ): Promise<void>;
  protected abstract errorBody(status: number, message: string, retryAfter?: string): unknown;
  protected abstract authorized(req: RecordedRequest): boolean;

  protected json(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  protected error(res: ServerResponse, status: number, message: string, retryAfter?: string): void {
    this.json(
      res,
      status,
      this.errorBody(status, message, retryAfter),
      retryAfter ? { 'Retry-After': retryAfter } : {},
    );
  }

  /**
   * Sends a whole (non-streamed) answer once the model would have written all of it: the same pauses as
   * the stream, without the deltas. A `cut` fault drops the connection instead of answering.
   */
  protected async answerWhole(
    res: ServerResponse,
    answer: string,
    body: unknown,
    fault: Fault | undefined,
  ): Promise<void> {
    if (this.tokenDelayMs) await sleep(this.tokenDelayMs * (tokensOf(answer).length + 1));
    if (fault?.kind === 'cut') {
      res.socket?.destroy();
      return;
    }
    this.json(res, 200, body);
  }

  /** Streams deltas as SSE, pausing between them; a `cut` fault drops the connection part-way. */
  protected async streamSse(
    res: ServerResponse,
    events: string[],
    fault: Fault | undefined,
    record: RecordedRequest,
  ): Promise<void> {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    for (const [i, event] of events.entries()) {
      if (fault?.kind === 'cut' && i >= fault.afterTokens) {
        res.socket?.destroy();
        return;
      }
      if (record.aborted) return;
      res.write(event);
      if (this.tokenDelayMs) await sleep(this.tokenDelayMs);
    }
    res.end();
  }

  protected async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      this.error(res, 400, 'request body is not JSON');
      return;
    }
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      aborted: false,
    };
    this.requests.push(record);
    this.closings.set(
      record,
      new Promise((resolve) =>
        res.on('close', () => {
          if (!res.writableFinished) record.aborted = true;
          resolve();
        }),
      ),
    );
    for (const [i, waiting] of [...this.arrivals.entries()].reverse())
      if (waiting.pattern.test(record.path)) {
        this.arrivals.splice(i, 1);
        waiting.resolve(record);
      }
    if (!this.authorized(record)) {
      this.error(res, 401, 'invalid API key');
      return;
    }
    const fault = this.faults.take(record.path);
    if (fault?.kind === 'status') {
      this.error(res, fault.status, `injected failure ${fault.status}`, fault.retryAfter);
      return;
    }
    if (fault?.kind === 'delay') await sleep(fault.ms);
    if (fault?.kind === 'hold')
      await new Promise<void>((resolve) => {
        this.holds.add(resolve);
        res.on('close', resolve);
      });
    if (record.aborted) return;
    await this.handle(record, res, fault);
  }
}
