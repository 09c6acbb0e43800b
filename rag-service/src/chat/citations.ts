const MARKER = /\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/g;
/** A tail that may still grow into a marker: "[", "[1", "[1,", "[12, 3". */
const PARTIAL_MARKER = /\[[\d,\s]{0,15}$/;

/** The passage numbers an answer cites, e.g. "[1]", "[2, 3]" → {1, 2, 3}. */
export function citedNumbers(answer: string): Set<number> {
  const cited = new Set<number>();
  for (const m of answer.matchAll(MARKER)) {
    for (const n of (m[1] ?? '').split(',')) cited.add(Number(n.trim()));
  }
  return cited;
}

/** Keeps the markers whose numbers exist; a marker left with no valid number disappears. */
export function keepValidMarkers(text: string, valid: ReadonlySet<number>): string {
  return text.replace(MARKER, (_m, list: string) => {
    const kept = list
      .split(',')
      .map((n) => Number(n.trim()))
      .filter((n) => valid.has(n));
    return kept.length ? `[${kept.join(', ')}]` : '';
  });
}

/**
 * Cleans citation markers in a stream of text deltas: holds back a tail that may be the start of a marker
 * until it is complete, so what is streamed is exactly what the final answer says.
 */
export class CitationStream {
  private pending = '';

  constructor(private readonly valid: ReadonlySet<number>) {}

  push(delta: string): string {
    const text = this.pending + delta;
    const partial = PARTIAL_MARKER.exec(text);
    const cut = partial ? partial.index : text.length;
    this.pending = text.slice(cut);
    return keepValidMarkers(text.slice(0, cut), this.valid);
  }

  flush(): string {
    const rest = keepValidMarkers(this.pending, this.valid);
    this.pending = '';
    return rest;
  }
}
