import { countTokens, truncateTokens } from '../text/tokens.js';
import type { StructuredDocument } from './structured.js';

export interface ChunkOptions {
  /** Upper bound of a chunk's body, in cl100k tokens. */
  maxTokens: number;
  /** Tokens of the previous chunk's tail repeated at the start of the next one in the same section. */
  overlapTokens: number;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { maxTokens: 350, overlapTokens: 50 };

export interface ChunkDraft {
  ordinal: number;
  headingPath: string[];
  anchor?: string;
  text: string;
  tokens: number;
}

interface Piece {
  text: string;
  tokens: number;
}

/** Splits a block too large for one chunk at line ends, then sentence ends, then hard token limits. */
function splitOversized(text: string, maxTokens: number): Piece[] {
  const units = text
    .split(/(?<=\n)/)
    .flatMap((line) => (countTokens(line) <= maxTokens ? [line] : line.split(/(?<=[.!?])\s+/)));
  const pieces: Piece[] = [];
  let current = '';
  for (const unit of units) {
    const candidate = current + (current && !current.endsWith('\n') ? ' ' : '') + unit;
    if (countTokens(candidate) <= maxTokens) {
      current = candidate;
      continue;
    }
    if (current) pieces.push({ text: current.trim(), tokens: countTokens(current) });
    let rest = unit;
    while (countTokens(rest) > maxTokens) {
      const head = truncateTokens(rest, maxTokens);
      pieces.push({ text: head.trim(), tokens: maxTokens });
      rest = rest.slice(head.length);
    }
    current = rest;
  }
  if (current.trim()) pieces.push({ text: current.trim(), tokens: countTokens(current) });
  return pieces;
}

/** The tail of a chunk to repeat as overlap: whole sentences where possible, at most `budget` tokens. */
function overlapTail(text: string, budget: number): string {
  if (budget <= 0) return '';
  const sentences = text.split(/(?<=[.!?\n])\s+/);
  let tail = '';
  for (let i = sentences.length - 1; i >= 0; i--) {
    const candidate = `${sentences[i]} ${tail}`.trim();
    if (countTokens(candidate) > budget) break;
    tail = candidate;
  }
  return tail || truncateTokens(text, budget, 'end').trim();
}

/**
 * Heading-aware chunking: a chunk never spans two sections, keeps blocks (tables, code, lists) whole
 * when they fit, and carries the heading path it sits under so every chunk can be cited on its own.
 */
export function chunkDocument(
  doc: StructuredDocument,
  options: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
): ChunkDraft[] {
  const chunks: ChunkDraft[] = [];
  const path: { level: number; text: string; anchor?: string }[] = [];
  let parts: string[] = [];
  let tokens = 0;
  let carried = false; // the current chunk holds only overlap from its predecessor

  const emit = () => {
    if (parts.length && !carried) {
      const text = parts.join('\n\n');
      chunks.push({
        ordinal: chunks.length,
        headingPath: path.map((h) => h.text),
        anchor: path.at(-1)?.anchor,
        text,
        tokens: countTokens(text),
      });
    }
  };
  const startFresh = () => {
    parts = [];
    tokens = 0;
    carried = false;
  };
  const add = (piece: Piece) => {
    if (tokens + piece.tokens > options.maxTokens && parts.length && !carried) {
      emit();
      const tail = overlapTail(
        parts.join('\n\n'),
        Math.min(options.overlapTokens, options.maxTokens - piece.tokens),
      );
      parts = tail ? [tail] : [];
      tokens = tail ? countTokens(tail) : 0;
      carried = !!tail;
    } else if (carried && tokens + piece.tokens > options.maxTokens) {
      startFresh();
    }
    parts.push(piece.text);
    tokens += piece.tokens;
    carried = false;
  };

  for (const block of doc.blocks) {
    if (block.kind === 'heading') {
      emit();
      startFresh();
      while (path.length && (path.at(-1)?.level ?? 0) >= block.level) path.pop();
      path.push({ level: block.level, text: block.text, anchor: block.anchor });
      continue;
    }
    const blockTokens = countTokens(block.text);
    if (blockTokens <= options.maxTokens) add({ text: block.text, tokens: blockTokens });
    else splitOversized(block.text, options.maxTokens).forEach(add);
  }
  emit();
  return chunks;
}
