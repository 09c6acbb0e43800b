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

/**
 * A cheap stand-in for `countTokens` where a budget is a guide, not a hard limit (packing a prompt far
 * below the model's window): about 3 bytes per token, which over-counts English (4+) and matches code and
 * CJK text. Exact BPE counting of every passage cost more than the rest of a chat turn together.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text) / 3);
}

/** The longest prefix (or suffix) of `text` that fits in `maxTokens`. */
export function truncateTokens(text: string, maxTokens: number, from: 'start' | 'end' = 'start'): string {
  // Every token is at least one byte: a text with no more bytes than the limit fits without encoding.
  if (Buffer.byteLength(text) <= maxTokens) return text;
  const tokens = tokenizer().encode(text);
  if (tokens.length <= maxTokens) return text;
  const kept = from === 'start' ? tokens.slice(0, maxTokens) : tokens.slice(tokens.length - maxTokens);
  return tokenizer().decode(kept);
}
