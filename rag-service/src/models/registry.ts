import type { Logger } from 'pino';
import type { Config, Provider } from '../config.js';
import type { ChatModel } from './chat-model.js';
import type { Embedder } from './embedder.js';
import { ResilientChatModel } from './resilient.js';

/** The configured providers' clients: what answers with them is the composition root's choice. */
export interface Models {
  /** The language model, retried and health-tracked; absent with LLM_PROVIDER=none. */
  chatModel?: ResilientChatModel;
  embedder?: Embedder;
}

type Hosted = Exclude<Provider, 'none'>;

/**
 * The providers this build talks to, each loaded only when configured: a provider's LangChain client is
 * 10–16 MB of heap (measured at import), which a service answering without it should not hold.
 * Adding one is a file and a line here.
 */
const PROVIDERS: Record<
  Hosted,
  () => Promise<{ chatModel(config: Config): ChatModel; embedder(config: Config): Promise<Embedder> }>
> = {
  openai: async () => {
    const m = await import('./openai.js');
    return { chatModel: m.openAIChatModel, embedder: m.openAIEmbedder };
  },
  gemini: async () => {
    const m = await import('./gemini.js');
    return { chatModel: m.geminiChatModel, embedder: m.geminiEmbedder };
  },
};

export async function createModels(config: Config, log?: Logger): Promise<Models> {
  const embedder =
    config.embeddingsProvider === 'none'
      ? undefined
      : await (await PROVIDERS[config.embeddingsProvider]()).embedder(config);
  if (config.llmProvider === 'none') return { embedder };
  const provider = await PROVIDERS[config.llmProvider]();
  return { chatModel: new ResilientChatModel(provider.chatModel(config), log), embedder };
}
