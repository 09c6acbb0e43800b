import type { Config, Provider } from '../config.js';
import { ConfigError } from '../config.js';
import type { Answerer, QuestionCondenser } from '../chat/answerer.js';
import { ExtractiveAnswerer, LexicalCondenser } from '../chat/extractive.js';
import type { Embedder } from './embedder.js';

export interface ModelSet {
  answerer: Answerer;
  condenser: QuestionCondenser;
  embedder?: Embedder;
}

type AnswererFactory = (config: Config) => Pick<ModelSet, 'answerer' | 'condenser'>;
type EmbedderFactory = (config: Config) => Embedder;

/** The language-model providers this build can talk to. Adding one is a file and a line here. */
const ANSWERERS: Partial<Record<Provider, AnswererFactory>> = {
  none: () => ({ answerer: new ExtractiveAnswerer(), condenser: new LexicalCondenser() }),
};

/** The embedding providers this build can talk to; `none` means lexical retrieval only. */
const EMBEDDERS: Partial<Record<Exclude<Provider, 'none'>, EmbedderFactory>> = {};

export function createModels(config: Config): ModelSet {
  const answerers = ANSWERERS[config.llmProvider];
  if (!answerers) {
    throw new ConfigError(
      `LLM_PROVIDER=${config.llmProvider} is not available in this version; use LLM_PROVIDER=none (extractive answers).`,
    );
  }
  if (config.embeddingsProvider === 'none') return answerers(config);
  const embedder = EMBEDDERS[config.embeddingsProvider];
  if (!embedder) {
    throw new ConfigError(
      `EMBEDDINGS_PROVIDER=${config.embeddingsProvider} is not available in this version; use EMBEDDINGS_PROVIDER=none.`,
    );
  }
  return { ...answerers(config), embedder: embedder(config) };
}
