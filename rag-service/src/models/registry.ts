import type { Logger } from 'pino';
import type { Answerer, QuestionCondenser } from '../chat/answerer.js';
import { ExtractiveAnswerer, LexicalCondenser } from '../chat/extractive.js';
import { GenerativeAnswerer, ModelCondenser } from '../chat/generative.js';
import type { Config, Provider } from '../config.js';
import type { ChatModel } from './chat-model.js';
import type { Embedder } from './embedder.js';
import { geminiChatModel, geminiEmbedder } from './gemini.js';
import { openAIChatModel, openAIEmbedder } from './openai.js';
import { HealthTracker, ResilientChatModel } from './resilient.js';

export interface ModelSet {
  answerer: Answerer;
  condenser: QuestionCondenser;
  embedder?: Embedder;
  /** Recent failures of the language model, for readiness. */
  llmHealth?: HealthTracker;
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

export async function createModels(config: Config, log?: Logger): Promise<ModelSet> {
  const embedder =
    config.embeddingsProvider === 'none' ? undefined : await EMBEDDERS[config.embeddingsProvider](config);
  if (config.llmProvider === 'none') {
    return { answerer: new ExtractiveAnswerer(), condenser: new LexicalCondenser(), embedder };
  }
  const model = new ResilientChatModel(CHAT_MODELS[config.llmProvider](config), log);
  return {
    answerer: new GenerativeAnswerer(model),
    condenser: new ModelCondenser(model, log),
    embedder,
    llmHealth: model.health,
  };
}
