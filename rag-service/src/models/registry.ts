import type { Logger } from 'pino';
import type { Config, Provider } from '../config.js';
import type { ChatModel } from './chat-model.js';
import type { Embedder } from './embedder.js';
import { geminiChatModel, geminiEmbedder } from './gemini.js';
import { openAIChatModel, openAIEmbedder } from './openai.js';
import { ResilientChatModel } from './resilient.js';

/** The configured providers' clients: what answers with them is the composition root's choice. */
export interface Models {
  /** The language model, retried and health-tracked; absent with LLM_PROVIDER=none. */
  chatModel?: ResilientChatModel;
  embedder?: Embedder;
}

type Hosted = Exclude<Provider, 'none'>;

/** The language-model providers this build talks to. Adding one is a file and a line here. */
const CHAT_MODELS: Record<Hosted, (config: Config) => ChatModel> = {
  openai: openAIChatModel,
  gemini: geminiChatModel,
};

/** The embedding providers; `none` means lexical retrieval only. */
const EMBEDDERS: Record<Hosted, (config: Config) => Promise<Embedder>> = {
  openai: openAIEmbedder,
  gemini: geminiEmbedder,
};

export async function createModels(config: Config, log?: Logger): Promise<Models> {
  const embedder =
    config.embeddingsProvider === 'none' ? undefined : await EMBEDDERS[config.embeddingsProvider](config);
  if (config.llmProvider === 'none') return { embedder };
  return { chatModel: new ResilientChatModel(CHAT_MODELS[config.llmProvider](config), log), embedder };
}
