import type { AdfInline, AdfMark, AdfText } from './adf-nodes';

/**
 * Markdown's inline syntax as ADF text and marks: `code`, **bold**, *italic*, ~~strike~~, [links](url),
 * <https://autolinks>, bare https:// addresses and the answer's `[n]` citations. Anything else is text:
 * there is no HTML passthrough (`<b>` stays the four characters it is), and only http(s) addresses become
 * links. Every search for a closing delimiter looks at most SPAN_MAX characters ahead and nesting stops
 * at DEPTH_MAX, so the work stays linear in the input whatever it holds.
 */

export interface InlineOptions {
  /** The address a citation `[n]` links to, when source n has a web address. */
  citationHref: (n: number) => string | undefined;
}

const SPAN_MAX = 1_000;
const URL_MAX = 2_048;
const DEPTH_MAX = 5;
const ESCAPABLE = /[!-/:-@[-`{-~]/;
const WORD = /[\p{L}\p{N}]/u;

export function parseInline(text: string, options: InlineOptions): AdfInline[] {
  const out: AdfInline[] = [];
  parse(text, [], options, 0, out);
  return out;
}

/** A web address made safe to link to: http(s) only, as the URL parser normalises it; else undefined. */
export function safeHref(url: string): string | undefined {
  if (url.length > URL_MAX) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

function parse(
  text: string,
  marks: AdfMark[],
  options: InlineOptions,
  depth: number,
  out: AdfInline[],
): void {
  let plain = '';
  const flush = (): void => {
    if (plain) out.push(textNode(plain, marks));
    plain = '';
  };
  /** Parses `inner` with one more mark, or as plain text once nesting is deep enough. */
  const nest = (inner: string, mark: AdfMark): void => {
    flush();
    if (depth >= DEPTH_MAX) out.push(textNode(inner, marks));
    else parse(inner, withMark(marks, mark), options, depth + 1, out);
  };
  const linked = marks.some((m) => m.type === 'link');
  const closers = new Closers(text);
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const escaped = c === '\\' ? (text[i + 1] ?? '') : '';
    if (escaped && ESCAPABLE.test(escaped)) {
      plain += escaped;
      i += 2;
      continue;
    }
    if (c === '\n') {
      flush();
      out.push({ type: 'hardBreak' });
      i += 1;
      continue;
    }
    if (c === '`') {
      const run = /^`+/.exec(text.slice(i, i + SPAN_MAX))![0];
      const close = findRun(text, run, i + run.length);
      if (close < 0) {
        plain += run;
        i += run.length;
        continue;
      }
      flush();
      const code = text.slice(i + run.length, close).replace(/^ (.*) $/s, '$1');
      // ADF lets code combine with a link only: bold or italic around code is dropped for that stretch.
      if (code) out.push(textNode(code, [...marks.filter((m) => m.type === 'link'), { type: 'code' }]));
      i = close + run.length;
      continue;
    }
    if (c === '[') {
      const citation = /^\[(\d{1,3})\](?!\()/.exec(text.slice(i, i + 6));
      if (citation) {
        const href = linked ? undefined : options.citationHref(Number(citation[1]));
        if (href) {
          flush();
          out.push(textNode(citation[0], withMark(marks, link(href))));
        } else plain += citation[0];
        i += citation[0].length;
        continue;
      }
      const found = linkAt(text, i);
      if (found) {
        const href = linked ? undefined : safeHref(found.url);
        const label = found.label || found.url;
        // A link to anything but http(s) keeps its words and loses its address.
        if (href) nest(label, link(href));
        else {
          flush();
          parse(label, marks, options, depth + 1, out);
        }
        i = found.end;
        continue;
      }
    }
    const url = linked ? null : urlAt(text, i);
    if (url) {
      flush();
      out.push(textNode(url.text, withMark(marks, link(url.href))));
      i = url.end;
      continue;
    }
    const emphasis = emphasisAt(text, i, closers);
    if (emphasis) {
      nest(text.slice(i + emphasis.delimiter.length, emphasis.close), emphasis.mark);
      i = emphasis.close + emphasis.delimiter.length;
      continue;
    }
    plain += c;
    i += 1;
  }
  flush();
}

function textNode(text: string, marks: AdfMark[]): AdfText {
  return marks.length ? { type: 'text', text, marks: [...marks] } : { type: 'text', text };
}

function withMark(marks: AdfMark[], mark: AdfMark): AdfMark[] {
  return marks.some((m) => m.type === mark.type) ? marks : [...marks, mark];
}

function link(href: string): AdfMark {
  return { type: 'link', attrs: { href } };
}

/** Where the same run of backticks closes a code span, or -1. */
function findRun(text: string, run: string, from: number): number {
  for (let at = text.indexOf(run, from); at >= 0 && at - from <= SPAN_MAX; at = text.indexOf(run, at + 1)) {
    if (text[at - 1] !== '`' && text[at + run.length] !== '`') return at;
  }
  return -1;
}

/** `[label](url)` or `[label](<url> "title")` at `i`. */
function linkAt(text: string, i: number): { label: string; url: string; end: number } | undefined {
  const close = text.indexOf(']', i + 1);
  if (close < 0 || close - i > SPAN_MAX || text[close + 1] !== '(') return undefined;
  // The target ends at the parenthesis that balances its opening one: (a_(b)) is one address.
  let end = -1;
  for (let at = close + 2, depth = 0; at < text.length && at - close <= URL_MAX; at++) {
    if (text[at] === '(') depth += 1;
    else if (text[at] === ')' && depth-- === 0) {
      end = at;
      break;
    }
  }
  if (end < 0) return undefined;
  const target = text.slice(close + 2, end).trim();
  const url = (/^<([^>]*)>/.exec(target)?.[1] ?? target.split(/\s+/)[0] ?? '').trim();
  return { label: text.slice(i + 1, close), url, end: end + 1 };
}

/** `<https://…>` or a bare https:// address starting a word; trailing punctuation is not part of it. */
function urlAt(text: string, i: number): { text: string; href: string; end: number } | undefined {
  if (text[i] === '<') {
    const auto = /^<(https?:\/\/[^\s<>]+)>/i.exec(text.slice(i, i + URL_MAX + 2));
    const href = auto ? safeHref(auto[1]!) : undefined;
    return auto && href ? { text: auto[1]!, href, end: i + auto[0].length } : undefined;
  }
  if ((text[i] !== 'h' && text[i] !== 'H') || WORD.test(text[i - 1] ?? '')) return undefined;
  const bare = /^https?:\/\/[^\s<>"'`]+/i.exec(text.slice(i, i + URL_MAX));
  if (!bare) return undefined;
  let candidate = bare[0].replace(/[.,;:!?*_~'"\]]+$/, '');
  // A closing parenthesis belongs to the address only when the address opened one.
  while (candidate.endsWith(')') && count(candidate, '(') < count(candidate, ')'))
    candidate = candidate.slice(0, -1);
  const href = safeHref(candidate);
  return href ? { text: candidate, href, end: i + candidate.length } : undefined;
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

const EMPHASIS: { delimiter: string; mark: AdfMark }[] = [
  { delimiter: '**', mark: { type: 'strong' } },
  { delimiter: '__', mark: { type: 'strong' } },
  { delimiter: '~~', mark: { type: 'strike' } },
  { delimiter: '*', mark: { type: 'em' } },
  { delimiter: '_', mark: { type: 'em' } },
];

/**
 * Emphasis opening at `i` and where it closes. An opener is followed by a non-space and a closer preceded
 * by one; `_` must also stand at a word's edge, so snake_case_names stay as written.
 */
function emphasisAt(
  text: string,
  i: number,
  closers: Closers,
): { delimiter: string; mark: AdfMark; close: number } | undefined {
  const kind = EMPHASIS.find((e) => text.startsWith(e.delimiter, i));
  if (!kind) return undefined;
  const char = kind.delimiter[0]!;
  const after = text[i + kind.delimiter.length] ?? '';
  if (!after || /\s/.test(after) || after === char) return undefined;
  if (char === '_' && WORD.test(text[i - 1] ?? '')) return undefined;
  const close = closers.next(kind.delimiter, i + kind.delimiter.length + 1);
  return close >= 0 && close - i <= SPAN_MAX ? { ...kind, close } : undefined;
}

/**
 * Where each delimiter next closes, remembered while the parse moves right. Whether a delimiter can close
 * depends only on its own surroundings, not on the opener, so an answer already found serves every later
 * opener before it: each stretch of text is searched once per delimiter, and "*a *a *a …" stays linear.
 */
class Closers {
  private readonly found = new Map<string, { from: number; at: number }>();

  constructor(private readonly text: string) {}

  next(delimiter: string, from: number): number {
    const known = this.found.get(delimiter);
    if (known && from >= known.from && (known.at < 0 || known.at >= from)) return known.at;
    const at = this.search(delimiter, from);
    this.found.set(delimiter, { from, at });
    return at;
  }

  private search(delimiter: string, from: number): number {
    const { text } = this;
    const char = delimiter[0]!;
    for (let at = text.indexOf(delimiter, from); at >= 0; at = text.indexOf(delimiter, at + 1)) {
      const before = text[at - 1] ?? '';
      const next = text[at + delimiter.length] ?? '';
      if (/\s/.test(before) || before === char || next === char) continue;
      if (char === '_' && WORD.test(next)) continue;
      return at;
    }
    return -1;
  }
}
