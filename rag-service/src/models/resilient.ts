import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import type { Call, ChatModel, ModelMessage } from './chat-model.js';
import { CHAT_RETRY, withRetry, type RetryPolicy } from '../net/retry.js';

/** When a dependency last failed; readiness reports `degraded` while that is recent. */
export class HealthTracker {
  private lastFailure = 0;
  private lastError = '';

  constructor(private readonly windowMs = 60_000) {}

  ok(): void {
    this.lastFailure = 0;
  }

  failed(message: string): void {
    this.lastFailure = Date.now();
    this.lastError = message;
  }

  /** The recent failure's message, or undefined when healthy. */
  problem(): string | undefined {
    return this.lastFailure && Date.now() - this.lastFailure < this.windowMs ? this.lastError : undefined;
  }
}

/**
 * A chat model with the service's resilience: retries with backoff on 429/5xx/network failures inside
 * the request's deadline. A stream is retried only until its first delta: after that a retry would
 * repeat text the user has already seen, so a cut-off stream ends with an error instead.
 */
export class ResilientChatModel {
  readonly health = new HealthTracker();

  constructor(
    private readonly model: ChatModel,
    private readonly log?: Logger,
    private readonly policy: RetryPolicy = CHAT_RETRY,
  ) {}

  get id(): string {
    return this.model.id;
  }

  private options(call: Call) {
    return {
      policy: this.policy,
      what: `the language model (${this.model.id})`,
      signal: call.signal,
      deadline: call.deadline,
      onRetry: (attempt: number, delayMs: number, f: { status?: number }) =>
        this.log?.warn(
          { model: this.model.id, attempt, delayMs: Math.round(delayMs), status: f.status },
          'language model call failed; retrying',
        ),
    };
  }

  async complete(messages: ModelMessage[], call: Call): Promise<string> {
    try {
      const text = await withRetry(
        (signal) => this.model.complete(messages, signal ?? call.signal),
        this.options(call),
      );
      this.health.ok();
      return text;
    } catch (err) {
      if (!call.signal.aborted) this.health.failed((err as Error).message);
      throw err;
    }
  }

  async *stream(messages: ModelMessage[], call: Call): AsyncIterable<string> {
    let iterator: AsyncIterator<string> | undefined;
    let first: IteratorResult<string> | undefined;
    try {
      first = await withRetry(async (signal) => {
        await iterator?.return?.();
        iterator = this.model.stream(messages, signal ?? call.signal)[Symbol.asyncIterator]();
        return iterator.next();
      }, this.options(call));
    } catch (err) {
      if (!call.signal.aborted) this.health.failed((err as Error).message);
      throw err;
    }
    const it = iterator!;
    try {
      for (let step = first; !step.done; step = await it.next()) yield step.value;
      this.health.ok();
    } catch (err) {
      if (call.signal.aborted) throw err;
      const message = `the language model (${this.model.id}) stopped answering mid-way`;
      this.health.failed(message);
      throw new AppError('upstream_unavailable', message, { cause: (err as Error).message.slice(0, 200) });
    } finally {
      await it.return?.();
    }
  }
}
