import type { Logger } from 'pino';
import { AppError } from '../../src/errors.js';
import type { Config } from '../../src/config.js';
import type { ChatModel, ModelMessage } from '../../src/models/chat-model.js';
import { embedAll, type Embedder } from '../../src/models/embedder.js';
import { ResilientChatModel } from '../../src/models/resilient.js';
import { classify } from '../../src/net/retry.js';
import type { ModelServer } from '../fakes/model-server.js';

/** How a conformance run reaches one provider: its test server, and the adapters built from a config. */
export interface ProviderHarness {
  server(): Promise<ModelServer>;
  config(server: ModelServer, apiKey?: string): Config;
  chatModel(config: Config): ChatModel;
  embedder(config: Config): Promise<Embedder>;
  chatPath: RegExp;
  embedPath: RegExp;
}

const MESSAGES: ModelMessage[] = [
  { role: 'system', content: 'Answer from the context.' },
  {
    role: 'user',
    content:
      '<context>\n[1] Tokens\nRotate the token every month. It takes a minute.\n</context>\n\nQuestion: how often?',
  },
];
const EXPECTED = 'According to the documentation, Rotate the token every month. [1]';
const call = (ms = 10_000) => ({ signal: new AbortController().signal, deadline: Date.now() + ms });

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const d of stream) out.push(d);
  return out;
}

/** What every language-model provider adapter must do, proven against its wire-format test server. */
export function describeModelProvider(name: string, harness: ProviderHarness): void {
  describe(`model provider conformance: ${name}`, () => {
    let server: ModelServer;
    let config: Config;
    beforeEach(async () => {
      server = await harness.server();
      config = harness.config(server);
    });
    afterEach(() => server.close());

    it('completes a prompt, sending the system rules and the context', async () => {
      const model = harness.chatModel(config);
      expect(await model.complete(MESSAGES, new AbortController().signal)).toBe(EXPECTED);
      const body = JSON.stringify(server.requestsTo(harness.chatPath)[0]?.body);
      expect(body).toContain('Answer from the context.');
      expect(body).toContain('Rotate the token every month.');
    });

    it('streams the answer delta by delta', async () => {
      const deltas = await collect(harness.chatModel(config).stream(MESSAGES, new AbortController().signal));
      expect(deltas.length).toBeGreaterThan(3);
      expect(deltas.join('')).toBe(EXPECTED);
    });

    it('aborts the upstream request when the caller stops listening', async () => {
      server.tokenDelayMs = 100;
      const controller = new AbortController();
      const deltas: string[] = [];
      await expect(
        (async () => {
          for await (const d of harness.chatModel(config).stream(MESSAGES, controller.signal)) {
            deltas.push(d);
            controller.abort(new Error('client went away'));
          }
        })(),
      ).rejects.toThrow();
      expect(deltas.length).toBeLessThan(3);
      // Waits for the model's connection to close, however long that takes: before the last token means
      // aborted; a client that kept reading would end the stream normally and `aborted` would stay false.
      const upstream = server.requestsTo(harness.chatPath)[0]!;
      await server.closed(upstream);
      expect(upstream.aborted).toBe(true);
    });

    it('embeds in batches, learning the dimension from the server', async () => {
      const embedder = await harness.embedder(config);
      expect(embedder.dimensions).toBe(64);
      const texts = Array.from({ length: embedder.maxBatchSize * 2 + 5 }, (_, i) => `text number ${i}`);
      const before = server.requestsTo(harness.embedPath).length;
      const vectors = await embedAll(embedder, texts);
      expect(vectors).toHaveLength(texts.length);
      for (const [i, v] of vectors.entries()) {
        const expected = server.embedder.vector(texts[i]!);
        v.forEach((x, k) => expect(x).toBeCloseTo(expected[k]!, 5));
      }
      expect(server.requestsTo(harness.embedPath).length - before).toBe(3);
    });

    it('retries a rate-limited embedding batch, and reports a bad key without retrying', async () => {
      const embedder = await harness.embedder(config);
      server.fail({ kind: 'status', status: 429, retryAfter: '0', only: harness.embedPath });
      const before = server.requestsTo(harness.embedPath).length;
      expect(await embedAll(embedder, ['alpha', 'bravo'])).toHaveLength(2);
      expect(server.requestsTo(harness.embedPath).length - before).toBe(2);
      // With a custom base URL the dimension probe runs at start-up, so a bad key stops the service there.
      const refused = await harness.embedder(harness.config(server, 'wrong-key')).catch((e: unknown) => e);
      expect(refused).toMatchObject({
        code: 'upstream_unavailable',
        message: expect.stringMatching(/refused.*401.*API key/),
      });
    });

    it('classifies a 429 as retryable with its delay, and a bad key as final', async () => {
      server.fail({ kind: 'status', status: 429, retryAfter: '2' });
      const rateLimited = await harness
        .chatModel(config)
        .complete(MESSAGES, new AbortController().signal)
        .catch((e: unknown) => e);
      expect(classify(rateLimited)).toMatchObject({ retryable: true, status: 429 });
      const badKey = await harness
        .chatModel(harness.config(server, 'wrong-key'))
        .complete(MESSAGES, new AbortController().signal)
        .catch((e: unknown) => e);
      expect(classify(badKey)).toMatchObject({ retryable: false, status: 401 });
    });

    describe('with the service resilience', () => {
      it('two 429s, then success: the caller gets the answer', async () => {
        server.fail({ kind: 'status', status: 429, retryAfter: '0', times: 2 });
        const model = new ResilientChatModel(harness.chatModel(config));
        expect((await collect(model.stream(MESSAGES, call()))).join('')).toBe(EXPECTED);
        expect(server.requestsTo(harness.chatPath)).toHaveLength(3);
        expect(model.health.problem()).toBeUndefined();
      });

      it('a provider that stays down ends in upstream_unavailable after the retries', async () => {
        server.fail({ kind: 'status', status: 503, times: 10 });
        const model = new ResilientChatModel(harness.chatModel(config), undefined, {
          attempts: 3,
          baseDelayMs: 10,
          maxDelayMs: 20,
        });
        const err = await model.complete(MESSAGES, call()).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AppError);
        expect(err).toMatchObject({
          code: 'upstream_unavailable',
          message: expect.stringMatching(/HTTP 503 after 3 attempts/),
        });
        expect(server.requestsTo(harness.chatPath)).toHaveLength(3);
        expect(model.health.problem()).toMatch(/unavailable/);
      });

      it('a Retry-After longer than the budget fails at once instead of waiting', async () => {
        server.fail({ kind: 'status', status: 429, retryAfter: '30' });
        // The model logs each wait it starts: what happened is counted, not how long it took.
        const waits: unknown[] = [];
        const log = { warn: (fields: unknown) => waits.push(fields) } as unknown as Logger;
        const err = await new ResilientChatModel(harness.chatModel(config), log)
          .complete(MESSAGES, call(2000))
          .catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'upstream_unavailable' });
        expect(waits).toEqual([]);
        expect(server.requestsTo(harness.chatPath)).toHaveLength(1);
      });

      it('a stream cut mid-way ends with upstream_unavailable, not a silent half answer', async () => {
        // Paced, so the first tokens reach the client before the cut (a cut before any token is retried).
        server.tokenDelayMs = 30;
        server.fail({ kind: 'cut', afterTokens: 3 });
        const model = new ResilientChatModel(harness.chatModel(config));
        const deltas: string[] = [];
        const err = await (async () => {
          for await (const d of model.stream(MESSAGES, call())) deltas.push(d);
        })().catch((e: unknown) => e);
        expect(deltas.length).toBeGreaterThan(0);
        expect(err).toMatchObject({
          code: 'upstream_unavailable',
          message: expect.stringMatching(/mid-way/),
        });
        expect(server.requestsTo(harness.chatPath)).toHaveLength(1);
      });

      it('a connection cut before the first token is retried, and the answer arrives whole', async () => {
        server.fail({ kind: 'cut', afterTokens: 0 });
        const model = new ResilientChatModel(harness.chatModel(config));
        expect((await collect(model.stream(MESSAGES, call()))).join('')).toBe(EXPECTED);
        expect(server.requestsTo(harness.chatPath)).toHaveLength(2);
      });

      it('a bad key is reported as refused, without retrying and without the key', async () => {
        const model = new ResilientChatModel(harness.chatModel(harness.config(server, 'sk-secret-wrong')));
        const err = await model.complete(MESSAGES, call()).catch((e: unknown) => e);
        expect(err).toMatchObject({
          code: 'upstream_unavailable',
          status: 502,
          message: expect.stringMatching(/refused.*401.*API key/),
        });
        expect(JSON.stringify(err)).not.toContain('sk-secret-wrong');
        expect(server.requests).toHaveLength(1);
      });
    });
  });
}
