import { termCoverage, uniqueTerms } from '../text/analyzer.js';
import { BREADCRUMB } from '../store/lance-rows.js';
import type { ChatTurn } from '@kb/contracts';
import type { Call } from '../models/chat-model.js';
import type { Answerer, GroundedQuestion, QuestionCondenser } from './answerer.js';

export const NO_MODEL_NOTICE =
  'No language model is configured, so this answer quotes the most relevant passages of the knowledge base.';

const MAX_QUOTED_PASSAGES = 3;
const MAX_QUOTE_CHARS = 420;

/** Sentences, lines and fenced code blocks: the units a quote is cut from. */
function units(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/(```[\s\S]*?```)/)) {
    if (part.startsWith('```')) out.push(part.trim());
    else
      out.push(
        ...part
          .split(/(?<=[.!?])\s+|\n+/)
          .map((s) => s.trim())
          .filter(Boolean),
      );
  }
  return out;
}

/** The one or two units of a passage that say most about the question, in their original order. */
export function bestQuote(text: string, question: string): string {
  const q = uniqueTerms(question);
  // Prose explains; a code block only wins when no sentence says as much (it is quoted without its fences).
  const scored = units(text).map((u, i) => {
    const isCode = u.startsWith('```');
    const s = termCoverage(q, uniqueTerms(u)) * (isCode ? 0.8 : 1);
    return { u: isCode ? u.replace(/^```[\w+#-]*\n?|\n?```$/g, '') : u, i, s };
  });
  const [first, second] = [...scored].sort((a, b) => b.s - a.s || a.i - b.i);
  const top = [first, second].filter((t, k): t is NonNullable<typeof t> => !!t && (k === 0 || t.s > 0));
  let quote = top
    .sort((a, b) => a.i - b.i)
    .map((t) => t.u)
    .join(' ');
  if (!quote) quote = text;
  return quote.length > MAX_QUOTE_CHARS
    ? `${quote.slice(0, MAX_QUOTE_CHARS).replace(/\s+\S*$/, '')}…`
    : quote;
}

/**
 * The answer when no language model is configured: honest about it, and still useful — it quotes the
 * best-matching sentences of the top passages, each with its `[n]` citation.
 */
export class ExtractiveAnswerer implements Answerer {
  readonly modelId = 'none';

  async *answer(q: GroundedQuestion, call: Call): AsyncIterable<string> {
    yield NO_MODEL_NOTICE;
    for (const { n, chunk } of q.passages.slice(0, MAX_QUOTED_PASSAGES)) {
      call.signal.throwIfAborted();
      const where = [chunk.title, ...chunk.headingPath.slice(-1)].filter((v, i, a) => a.indexOf(v) === i);
      yield `\n\n${where.join(BREADCRUMB)}: “${bestQuote(chunk.text, q.question)}” [${n}]`;
    }
  }
}

const FOLLOW_UP_MAX_TERMS = 4;

/**
 * Without a model, a short follow-up borrows the terms of the previous question, so "and with Qdrant?"
 * still retrieves about what was being discussed.
 */
export class LexicalCondenser implements QuestionCondenser {
  async condense(history: ChatTurn[], message: string): Promise<string> {
    const lastUser = [...history].reverse().find((t) => t.role === 'user');
    if (!lastUser || uniqueTerms(message).size > FOLLOW_UP_MAX_TERMS) return message;
    return `${message} ${lastUser.content}`;
  }
}
