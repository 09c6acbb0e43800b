/**
 * Sizes that keep a chat call inside Forge's limits. Forge refuses a frontend `invoke` whose payload is
 * over 500 KB, and a panel's history grows with every answer, so what is sent is capped well below that:
 * the history gets at most HISTORY_MAX_BYTES, which leaves room for the question and JSON's own weight.
 * Sizes are measured as JSON in UTF-8, as they travel (an accented letter is 2 bytes, a newline 2 when
 * escaped), not in characters.
 */

export const INVOKE_PAYLOAD_MAX_BYTES = 500 * 1024;
/** All history turns of one question together. */
export const HISTORY_MAX_BYTES = 160_000;
/** One turn: a long answer keeps its start, which is what the next question usually refers to. */
export const TURN_MAX_BYTES = 16_000;

const encoder = new TextEncoder();

/** The size of a value sent as JSON. */
export function jsonBytes(value: unknown): number {
  return encoder.encode(JSON.stringify(value)).length;
}

/**
 * The longest start of `text` whose JSON form fits in `maxBytes`, marked with "…" when cut. Never splits
 * a character made of two UTF-16 units (an emoji), which would leave an invalid string.
 */
export function truncateToBytes(text: string, maxBytes: number): string {
  if (jsonBytes(text) <= maxBytes) return text;
  let low = 0;
  let high = text.length;
  // Binary search on the cut point: a dozen encodings of the text, whatever its length.
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (jsonBytes(`${text.slice(0, mid)}…`) <= maxBytes) low = mid;
    else high = mid - 1;
  }
  let cut = text.slice(0, low);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
