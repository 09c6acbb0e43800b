import { LONG_PIECE_CHARS } from '../text/bpe.js';
import { countTokens, partsWithin, truncateTokens, type CountedText } from '../text/tokens.js';
import { DOCUMENT_LIMITS, DocumentLimitError, type DocumentLimits } from './limits.js';
import type { StructuredDocument } from './structured.js';

export interface ChunkOptions {
  /** Upper bound of a chunk's body, in cl100k tokens. */
  maxTokens: number;
  /** Tokens of the previous chunk's tail repeated at the start of the next one in the same section. */
  overlapTokens: number;
  /** What one document may hold and make (default: `DOCUMENT_LIMITS`). */
  limits?: Pick<DocumentLimits, 'maxTextChars' | 'maxChunks'>;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { maxTokens: 350, overlapTokens: 50 };

export interface ChunkDraft {
  ordinal: number;
  headingPath: string[];
  anchor?: string;
  text: string;
  tokens: number;
}

/**
 * The token count of a text short enough to be worth counting against `maxTokens`, or undefined when
 * it is certainly over: every piece is at least one token per `LONG_PIECE_CHARS` characters, so a text
 * longer than that many times the budget cannot fit, and is never counted whole.
 */
function tokensIfItMayFit(text: string, maxTokens: number): number | undefined {
  if (text.length > maxTokens * LONG_PIECE_CHARS) return undefined;
  const tokens = countTokens(text);
  return tokens <= maxTokens ? tokens : undefined;
}

/**
 * A block too large for one chunk as units that fit: its lines, else a line's sentences, else a sentence
 * cut between tokens. Lazy, and each unit is counted once, so the work is linear in the block.
 */
function* unitsOf(text: string, maxTokens: number): Generator<CountedText & { joiner: string }> {
  for (const line of text.split(/(?<=\n)/)) {
    const lineTokens = tokensIfItMayFit(line, maxTokens);
    if (lineTokens !== undefined) {
      yield { text: line, tokens: lineTokens, joiner: '' };
      continue;
    }
    for (const sentence of line.split(/(?<=[.!?])\s+/)) {
      const tokens = tokensIfItMayFit(sentence, maxTokens);
      if (tokens !== undefined) yield { text: sentence, tokens, joiner: ' ' };
      else for (const part of partsWithin(sentence, maxTokens)) yield { ...part, joiner: '' };
    }
  }
}

/**
 * Packs the units of an oversized block into pieces of at most `maxTokens`. Counts are summed, not
 * re-counted: pieces are encoded one by one by BPE, so a sum is the count of their concatenation, give or
 * take the one token a joining space can add (kept as a margin).
 */
function* splitOversized(text: string, maxTokens: number): Generator<CountedText> {
  let current = '';
  let tokens = 0;
  for (const unit of unitsOf(text, maxTokens)) {
    const joiner = current && !current.endsWith('\n') ? unit.joiner : '';
    if (current && tokens + unit.tokens + (joiner ? 1 : 0) > maxTokens) {
      if (current.trim()) yield { text: current.trim(), tokens };
      [current, tokens] = [unit.text, unit.tokens];
      continue;
    }
    current += joiner + unit.text;
    tokens += unit.tokens + (joiner ? 1 : 0);
  }
  if (current.trim()) yield { text: current.trim(), tokens };
}

/**
 * The tails of whole sentences a chunk may repeat as overlap within `budget` tokens, shortest first (the
 * sentences joined by single spaces). Reading a document back (src/chat/document-view.ts) finds the repeat
 * among these, so the two can never disagree on what a repeat looks like.
 */
export function sentenceTails(text: string, budget: number): string[] {
  const sentences = text.split(/(?<=[.!?\n])\s+/);
  const tails: string[] = [];
  let tail = '';
  for (let i = sentences.length - 1; i >= 0; i--) {
    const candidate = `${sentences[i]} ${tail}`.trim();
    if (countTokens(candidate) > budget) break;
    tails.push((tail = candidate));
  }
  return tails;
}

/** The tail of a chunk to repeat as overlap: whole sentences where possible, at most `budget` tokens. */
function overlapTail(text: string, budget: number): string {
  if (budget <= 0) return '';
  return sentenceTails(text, budget).at(-1) || truncateTokens(text, budget, 'end').trim();
}

const figure = (n: number) => n.toLocaleString('en-US');

/**
 * Heading-aware chunking as steps: a chunk never spans two sections, keeps blocks (tables, code, lists)
 * whole when they fit, and carries the heading path it sits under so every chunk can be cited on its own.
 * It yields after each block and each piece of an oversized one, so a caller can run it in slices.
 */
function* chunkSteps(doc: StructuredDocument, options: ChunkOptions): Generator<void, ChunkDraft[]> {
  const { maxTextChars, maxChunks } = options.limits ?? DOCUMENT_LIMITS;
  const textChars = doc.blocks.reduce((n, b) => n + b.text.length, 0);
  if (textChars > maxTextChars) {
    throw new DocumentLimitError(
      `the document holds ${figure(textChars)} characters of text; at most ${figure(maxTextChars)} are indexed`,
    );
  }
  const chunks: ChunkDraft[] = [];
  const path: { level: number; text: string; anchor?: string }[] = [];
  let parts: string[] = [];
  let tokens = 0;
  let carried = false; // the current chunk holds only overlap from its predecessor

  const emit = () => {
    if (!parts.length || carried) return;
    if (chunks.length >= maxChunks) {
      throw new DocumentLimitError(
        `the document makes more than ${figure(maxChunks)} chunks, the most one document may have`,
      );
    }
    const text = parts.join('\n\n');
    chunks.push({
      ordinal: chunks.length,
      headingPath: path.map((h) => h.text),
      anchor: path.at(-1)?.anchor,
      text,
      tokens: countTokens(text),
    });
  };
  const startFresh = () => {
    parts = [];
    tokens = 0;
    carried = false;
  };
  const add = (piece: CountedText) => {
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
    yield;
    if (block.kind === 'heading') {
      emit();
      startFresh();
      while (path.length && (path.at(-1)?.level ?? 0) >= block.level) path.pop();
      path.push({ level: block.level, text: block.text, anchor: block.anchor });
      continue;
    }
    const blockTokens = tokensIfItMayFit(block.text, options.maxTokens);
    if (blockTokens !== undefined) {
      add({ text: block.text, tokens: blockTokens });
      continue;
    }
    for (const piece of splitOversized(block.text, options.maxTokens)) {
      add(piece);
      yield;
    }
  }
  emit();
  return chunks;
}

/** Chunks a document at once (pure; for small documents and tests). */
export function chunkDocument(
  doc: StructuredDocument,
  options: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
): ChunkDraft[] {
  const steps = chunkSteps(doc, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** How long chunking may hold the event loop before it lets other work (health checks, chats) run. */
const SLICE_MS = 10;

/**
 * Chunks a document in slices of at most about `SLICE_MS` of work, yielding to the event loop between
 * them: a 10 MB document takes its seconds without stalling a single request.
 */
export async function chunkDocumentInSlices(
  doc: StructuredDocument,
  options: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
): Promise<ChunkDraft[]> {
  const steps = chunkSteps(doc, options);
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}
