/**
 * What a spreadsheet may read as a formula: = + - @ as the first character that is not a space (spreadsheets
 * skip leading spaces and line breaks), their full-width forms too (some fold them to ASCII), and any cell
 * that begins with a tab or a line break (OWASP's list: some importers drop it and read what follows).
 */
const FORMULA = /^(?:[\t\r\n]|\s*[=+\-@＝＋－＠])/;

/** One CSV field: quoted, quotes doubled, and a cell a spreadsheet could run made inert with a leading '. */
export function csvField(value: string | boolean | null): string {
  const text = value === null ? '' : String(value);
  const safe = FORMULA.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}
