/** One request's limits: stop when the signal aborts; never start waiting past the deadline (epoch ms). */
export interface Call {
  signal: AbortSignal;
  deadline: number;
}

export interface ModelMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * The language-model port: stream an answer as text deltas, or complete a short reply at once. Adapters
 * make one attempt; retries, backoff and the time budget live in `resilient.ts`.
 */
export interface ChatModel {
  /** `provider:model`, e.g. `openai:gpt-4o-mini`. */
  readonly id: string;
  stream(messages: ModelMessage[], signal: AbortSignal): AsyncIterable<string>;
  complete(messages: ModelMessage[], signal: AbortSignal): Promise<string>;
}
