import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import type { Config } from '../config.js';
import type { ChatModel } from './chat-model.js';
import { embeddingDimensions } from './dimensions.js';
import type { Embedder } from './embedder.js';
import { keepAliveFetch } from '../net/keep-alive-fetch.js';
import { LangChainChatModel, LangChainEmbedder } from './langchain.js';

/** OpenAI, or any server that speaks its API (Ollama, vLLM, LM Studio, Azure's v1 endpoint) at OPENAI_BASE_URL. */
export function openAIChatModel(config: Config): ChatModel {
  const { apiKey, baseUrl, model } = config.openai;
  return new LangChainChatModel(
    `openai:${model}`,
    new ChatOpenAI({
      model,
      apiKey,
      temperature: 0.1,
      maxRetries: 0, // retries live in one place, ours, which honours Retry-After and the request budget
      configuration: { ...(baseUrl ? { baseURL: baseUrl } : {}), fetch: keepAliveFetch },
    }),
  );
}

export const OPENAI_EMBEDDING_BATCH = 128;

export async function openAIEmbedder(config: Config): Promise<Embedder> {
  const { apiKey, baseUrl, embeddingModel } = config.openai;
  const embeddings = new OpenAIEmbeddings({
    model: embeddingModel,
    apiKey,
    batchSize: OPENAI_EMBEDDING_BATCH,
    maxRetries: 0,
    configuration: { ...(baseUrl ? { baseURL: baseUrl } : {}), fetch: keepAliveFetch },
  });
  const id = `openai:${embeddingModel}`;
  return new LangChainEmbedder(
    id,
    await embeddingDimensions(id, !!baseUrl, embeddings),
    OPENAI_EMBEDDING_BATCH,
    embeddings,
  );
}
