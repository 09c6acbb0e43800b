import type { Embeddings } from '@langchain/core/embeddings';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatModel, ModelMessage } from './chat-model.js';
import type { Embedder } from './embedder.js';

function toLangChain(messages: ModelMessage[]): BaseMessage[] {
  return messages.map((m) =>
    m.role === 'system'
      ? new SystemMessage(m.content)
      : m.role === 'assistant'
        ? new AIMessage(m.content)
        : new HumanMessage(m.content),
  );
}

/** The text of a message chunk: a string, or the text parts of a multi-part content. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p: unknown) =>
        p && typeof p === 'object' && 'text' in p && typeof p.text === 'string' ? p.text : '',
      )
      .join('');
  }
  return '';
}

/** Any LangChain chat model (ChatOpenAI, ChatGoogleGenerativeAI…) behind the ChatModel port. */
export class LangChainChatModel implements ChatModel {
  constructor(
    readonly id: string,
    private readonly model: BaseChatModel,
  ) {}

  async *stream(messages: ModelMessage[], signal: AbortSignal): AsyncIterable<string> {
    const stream = await this.model.stream(toLangChain(messages), { signal });
    let finished = false;
    for await (const chunk of stream) {
      const meta = chunk.response_metadata as { finish_reason?: unknown; finishReason?: unknown };
      finished ||= Boolean(meta.finish_reason ?? meta.finishReason);
      const text = textOf(chunk.content);
      if (text) yield text;
    }
    // SDKs end a dropped connection like a finished answer; only a finish reason says the model is done.
    if (!finished) throw new Error(`the ${this.id} stream ended without a finish reason (connection cut)`);
  }

  async complete(messages: ModelMessage[], signal: AbortSignal): Promise<string> {
    // Not every client stops a non-streamed call on the signal (Gemini's does not): stop waiting anyway.
    const message = await raceAbort(this.model.invoke(toLangChain(messages), { signal }), signal);
    return textOf(message.content);
  }
}

/** Any LangChain embeddings client behind the Embedder port: one `embedDocuments` call per batch. */
export class LangChainEmbedder implements Embedder {
  constructor(
    readonly id: string,
    readonly dimensions: number,
    readonly maxBatchSize: number,
    private readonly embeddings: Embeddings,
  ) {}

  async embedBatch(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    signal?.throwIfAborted();
    const vectors = await (signal
      ? raceAbort(this.embeddings.embedDocuments(texts), signal)
      : this.embeddings.embedDocuments(texts));
    // Some clients report a failed batch as empty vectors; an empty vector is a failure, never data.
    if (vectors.some((v) => !v.length)) throw new EmptyEmbeddingError(`${this.id} returned an empty vector`);
    return vectors;
  }
}

/** A provider answered without vectors: worth a retry, like a dropped connection. */
export class EmptyEmbeddingError extends Error {
  override readonly name = 'EmptyEmbeddingError';
}

/** Some LangChain calls take no signal, or ignore it; racing them lets a caller stop waiting at once. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
