import { getEncoding, type Tiktoken } from 'js-tiktoken';

let encoding: Tiktoken | undefined;

/**
 * Token counts with OpenAI's cl100k_base, offline. Other providers tokenise differently, but a shared,
 * slightly conservative measure is what chunk budgets and prompt packing need.
 */
function tokenizer(): Tiktoken {
  encoding ??= getEncoding('cl100k_base');
  return encoding;
}

export function countTokens(text: string): number {
  return tokenizer().encode(text).length;
}

/** The longest prefix (or suffix) of `text` that fits in `maxTokens`. */
export function truncateTokens(text: string, maxTokens: number, from: 'start' | 'end' = 'start'): string {
  const tokens = tokenizer().encode(text);
  if (tokens.length <= maxTokens) return text;
  const kept = from === 'start' ? tokens.slice(0, maxTokens) : tokens.slice(tokens.length - maxTokens);
  return tokenizer().decode(kept);
}
