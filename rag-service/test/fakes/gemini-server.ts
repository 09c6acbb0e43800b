import type { ServerResponse } from 'node:http';
import { ModelServer, tokensOf, type Fault, type Prompt, type RecordedRequest } from './model-server.js';

interface Content {
  role?: unknown;
  parts?: { text?: unknown }[];
}

const partsText = (c: Content | undefined) =>
  (c?.parts ?? []).map((p) => (typeof p.text === 'string' ? p.text : '')).join('');

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** Google's Generative Language API (v1beta) as @google/generative-ai calls it. */
export class GeminiTestServer extends ModelServer {
  protected authorized(req: RecordedRequest): boolean {
    return req.headers['x-goog-api-key'] === this.apiKey;
  }

  /** Google says how long to wait in the body (google.rpc.RetryInfo), which is all its SDK passes on. */
  protected errorBody(status: number, message: string, retryAfter?: string): unknown {
    const details =
      retryAfter !== undefined
        ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfter}s` }]
        : [];
    return { error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN', details } };
  }

  protected async handle(req: RecordedRequest, res: ServerResponse, fault: Fault | undefined): Promise<void> {
    const m =
      /^\/v1beta\/models\/([\w.-]+):(generateContent|streamGenerateContent|embedContent|batchEmbedContents)(\?alt=sse)?$/.exec(
        req.path,
      );
    if (req.method !== 'POST' || !m) {
      this.error(res, 404, `unknown route ${req.method} ${req.path}`);
      return;
    }
    const [, model, method, sse] = m;
    if (method === 'embedContent') {
      this.embedContent(req, res);
      return;
    }
    if (method === 'batchEmbedContents') {
      this.batchEmbed(req, res, model!);
      return;
    }
    if (method === 'streamGenerateContent' && !sse) {
      this.error(res, 400, 'this server streams only with alt=sse');
      return;
    }
    return this.generate(req, res, fault, method === 'streamGenerateContent');
  }

  private async generate(
    req: RecordedRequest,
    res: ServerResponse,
    fault: Fault | undefined,
    stream: boolean,
  ): Promise<void> {
    const body = req.body as { contents?: Content[]; systemInstruction?: Content | string };
    if (!Array.isArray(body.contents) || !body.contents.length) {
      this.error(res, 400, 'contents is required');
      return;
    }
    if (body.contents.some((c) => c.role !== 'user' && c.role !== 'model')) {
      this.error(res, 400, 'role must be user or model');
      return;
    }
    const system =
      typeof body.systemInstruction === 'string' ? body.systemInstruction : partsText(body.systemInstruction);
    const prompt: Prompt = {
      system,
      turns: body.contents.map((c) => ({
        role: c.role === 'model' ? 'assistant' : 'user',
        text: partsText(c),
      })),
    };
    const answer = this.reply(prompt);
    const candidate = (text: string, finish?: string) => ({
      content: { role: 'model', parts: [{ text }] },
      ...(finish ? { finishReason: finish } : {}),
      index: 0,
    });
    const usageMetadata = {
      promptTokenCount: 10,
      candidatesTokenCount: tokensOf(answer).length,
      totalTokenCount: 10 + tokensOf(answer).length,
    };
    if (!stream) {
      const whole = { candidates: [candidate(answer, 'STOP')], usageMetadata, modelVersion: 'test' };
      await this.answerWhole(res, answer, whole, fault);
      return;
    }
    const tokens = tokensOf(answer);
    const events = tokens.map(
      (t, i) =>
        `data: ${JSON.stringify({ candidates: [candidate(t, i === tokens.length - 1 ? 'STOP' : undefined)], usageMetadata, modelVersion: 'test' })}\r\n\r\n`,
    );
    await this.streamSse(res, events, fault, req);
  }

  private embedContent(req: RecordedRequest, res: ServerResponse): void {
    const body = req.body as { content?: Content };
    if (!body.content?.parts?.length) {
      this.error(res, 400, 'content is required');
      return;
    }
    this.json(res, 200, { embedding: { values: this.embedder.vector(partsText(body.content)) } });
  }

  private batchEmbed(req: RecordedRequest, res: ServerResponse, model: string): void {
    const body = req.body as { requests?: { model?: unknown; content?: Content }[] };
    if (!Array.isArray(body.requests) || !body.requests.length) {
      this.error(res, 400, 'requests is required');
      return;
    }
    if (body.requests.length > 100) {
      this.error(res, 400, 'at most 100 requests per batch');
      return;
    }
    if (body.requests.some((r) => r.model !== `models/${model}`)) {
      this.error(res, 400, 'each request must name the same model');
      return;
    }
    this.json(res, 200, {
      embeddings: body.requests.map((r) => ({ values: this.embedder.vector(partsText(r.content)) })),
    });
  }
}
