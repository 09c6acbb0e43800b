import type { ServerResponse } from 'node:http';
import { ModelServer, tokensOf, type Fault, type Prompt, type RecordedRequest } from './model-server.js';

interface ChatBody {
  model?: unknown;
  messages?: { role?: unknown; content?: unknown }[];
  stream?: unknown;
  stream_options?: { include_usage?: boolean };
}

interface EmbeddingsBody {
  model?: unknown;
  input?: unknown;
  encoding_format?: unknown;
}

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: { text?: string }) => p.text ?? '').join('');
  return '';
}

/** OpenAI's REST API as the official SDK calls it: chat completions (JSON and SSE) and embeddings (float or base64). */
export class OpenAITestServer extends ModelServer {
  /** OpenAI's base URL includes `/v1`. */
  override get baseUrl(): string {
    return `${this.url}/v1`;
  }

  protected authorized(req: RecordedRequest): boolean {
    return req.headers.authorization === `Bearer ${this.apiKey}`;
  }

  protected errorBody(status: number, message: string): unknown {
    const type =
      status === 429 ? 'rate_limit_exceeded' : status === 401 ? 'invalid_request_error' : 'server_error';
    return { error: { message, type, param: null, code: status === 401 ? 'invalid_api_key' : null } };
  }

  protected async handle(req: RecordedRequest, res: ServerResponse, fault: Fault | undefined): Promise<void> {
    if (req.method === 'POST' && req.path === '/v1/chat/completions') return this.chat(req, res, fault);
    if (req.method === 'POST' && req.path === '/v1/embeddings') {
      this.embeddings(req, res);
      return;
    }
    this.error(res, 404, `unknown route ${req.method} ${req.path}`);
  }

  private async chat(req: RecordedRequest, res: ServerResponse, fault: Fault | undefined): Promise<void> {
    const body = req.body as ChatBody;
    if (typeof body.model !== 'string' || !Array.isArray(body.messages) || !body.messages.length) {
      {
        this.error(res, 400, 'model and messages are required');
        return;
      }
    }
    const roles = new Set(['system', 'developer', 'user', 'assistant']);
    if (body.messages.some((m) => typeof m.role !== 'string' || !roles.has(m.role))) {
      this.error(res, 400, 'invalid role');
      return;
    }
    const prompt: Prompt = {
      system: body.messages
        .filter((m) => m.role === 'system' || m.role === 'developer')
        .map((m) => text(m.content))
        .join('\n'),
      turns: body.messages
        .filter((m) => m.role === 'user' || m.role === 'assistant')
        .map((m) => ({ role: m.role as 'user' | 'assistant', text: text(m.content) })),
    };
    const answer = this.reply(prompt);
    const id = `chatcmpl-${this.requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = {
      prompt_tokens: 10,
      completion_tokens: tokensOf(answer).length,
      total_tokens: 10 + tokensOf(answer).length,
    };
    if (!body.stream) {
      const whole = {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: answer, refusal: null },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage,
      };
      await this.answerWhole(res, answer, whole, fault);
      return;
    }
    const chunk = (delta: object, finish: string | null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    const events = [
      chunk({ role: 'assistant', content: '' }, null),
      ...tokensOf(answer).map((t) => chunk({ content: t }, null)),
      chunk({}, 'stop'),
    ];
    if (body.stream_options?.include_usage) {
      events.push(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage })}\n\n`,
      );
    }
    events.push('data: [DONE]\n\n');
    await this.streamSse(
      res,
      events,
      fault?.kind === 'cut' ? { ...fault, afterTokens: fault.afterTokens + 1 } : undefined,
      req,
    );
  }

  private embeddings(req: RecordedRequest, res: ServerResponse): void {
    const body = req.body as EmbeddingsBody;
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    if (
      typeof body.model !== 'string' ||
      !Array.isArray(input) ||
      !input.length ||
      input.some((t) => typeof t !== 'string')
    ) {
      {
        this.error(res, 400, 'model and input (strings) are required');
        return;
      }
    }
    if (input.length > 2048) {
      this.error(res, 400, 'at most 2048 inputs');
      return;
    }
    const base64 = body.encoding_format === 'base64';
    if (body.encoding_format !== undefined && body.encoding_format !== 'float' && !base64) {
      this.error(res, 400, 'bad encoding_format');
      return;
    }
    this.json(res, 200, {
      object: 'list',
      data: (input as string[]).map((t, index) => {
        const vector = this.embedder.vector(t);
        return {
          object: 'embedding',
          index,
          embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
        };
      }),
      model: body.model,
      usage: { prompt_tokens: input.length, total_tokens: input.length },
    });
  }
}
