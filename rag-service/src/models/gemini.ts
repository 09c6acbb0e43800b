import { ChatGoogleGenerativeAI, GoogleGenerativeAIEmbeddings } from '@langchain/google-genai';
import type { Config } from '../config.js';
import type { ChatModel } from './chat-model.js';
import { embeddingDimensions } from './dimensions.js';
import type { Embedder } from './embedder.js';
import { LangChainChatModel, LangChainEmbedder } from './langchain.js';

/** Google Gemini (generativelanguage API); GEMINI_BASE_URL is the API root without the version segment. */
export function geminiChatModel(config: Config): ChatModel {
  const { apiKey, baseUrl, model } = config.gemini;
  const chat = new ChatGoogleGenerativeAI({
    model,
    apiKey,
    temperature: 0.1,
    maxRetries: 0,
    ...(baseUrl ? { baseUrl } : {}),
  });
  observeStreamResponses(chat);
  return new LangChainChatModel(`gemini:${model}`, chat);
}

interface StreamingClient {
  generateContentStream?: (...args: unknown[]) => Promise<{ response: Promise<unknown> }>;
}

/**
 * @google/generative-ai splits each stream in two and LangChain reads only one half; when a stream fails
 * (say, the user closes the panel) the other half's `response` promise rejects with no handler, which
 * Node treats as fatal. This observes that promise. It reaches into LangChain's private `client`; if that
 * ever moves, this does nothing and the process-level handler in main.ts still logs instead of crashing.
 */
function observeStreamResponses(chat: ChatGoogleGenerativeAI): void {
  const client = (chat as unknown as { client?: StreamingClient }).client;
  const original = client?.generateContentStream?.bind(client);
  if (!client || !original) return;
  client.generateContentStream = async (...args: unknown[]) => {
    const result = await original(...args);
    result.response.catch(() => undefined);
    return result;
  };
}

/** `batchEmbedContents` takes at most 100 texts. */
export const GEMINI_EMBEDDING_BATCH = 100;

interface BatchEmbedClient {
  batchEmbedContents(request: { requests: unknown[] }): Promise<{ embeddings: { values?: number[] }[] }>;
}

/**
 * LangChain's Gemini embeddings answer a failed batch with empty vectors, hiding a 429 or a bad key. This
 * sends the same request through the same client but lets the error (and its HTTP status) through, so
 * the service can retry, back off, or report it. Covered by the provider conformance tests.
 */
class StrictGeminiEmbeddings extends GoogleGenerativeAIEmbeddings {
  protected override async _embedDocumentsContent(documents: string[]): Promise<number[][]> {
    const self = this as unknown as { client: BatchEmbedClient; _convertToContent(text: string): unknown };
    const response = await self.client.batchEmbedContents({
      requests: documents.map((d) => self._convertToContent(d)),
    });
    return response.embeddings.map((e) => e.values ?? []);
  }
}

export async function geminiEmbedder(config: Config): Promise<Embedder> {
  const { apiKey, baseUrl, embeddingModel } = config.gemini;
  const embeddings = new StrictGeminiEmbeddings({
    model: embeddingModel,
    apiKey,
    maxRetries: 0,
    ...(baseUrl ? { baseUrl } : {}),
  });
  const id = `gemini:${embeddingModel}`;
  return new LangChainEmbedder(
    id,
    await embeddingDimensions(id, !!baseUrl, embeddings),
    GEMINI_EMBEDDING_BATCH,
    embeddings,
  );
}
