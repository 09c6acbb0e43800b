import type { DestinationStream } from 'pino';

/** pino's numeric levels, as a person reads them (padded so messages line up). */
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const COLOURS: Record<number, string> = { 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
/** Fields every line has, or that the line's head already says. */
const HEAD_FIELDS = new Set([
  'level',
  'time',
  'msg',
  'service',
  'pid',
  'hostname',
  'req',
  'res',
  'responseTime',
]);
/** A field's value is cut here: a terminal line is for reading, the JSON logs keep everything. */
const VALUE_MAX_CHARS = 160;

/** Control characters (escape sequences, line breaks) as visible escapes: a log line stays one line. */
function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function valueText(value: unknown): string {
  const text =
    typeof value === 'string' ? (/\s/.test(value) ? JSON.stringify(value) : value) : JSON.stringify(value);
  return text.length > VALUE_MAX_CHARS ? `${text.slice(0, VALUE_MAX_CHARS - 1)}…` : text;
}

/**
 * One JSON log line as a person reads it in a terminal: time, level, message, then the other fields as
 * key=value. A finished request reads "GET /path → 200 (12 ms)". A line that is not JSON passes unchanged.
 */
export function formatLogLine(line: string, colours: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const req = entry.req as { method?: string; url?: string } | undefined;
  const res = entry.res as { statusCode?: number } | undefined;
  const request =
    req?.method && res?.statusCode !== undefined
      ? `${req.method} ${req.url ?? ''} → ${res.statusCode}${typeof entry.responseTime === 'number' ? ` (${entry.responseTime} ms)` : ''}`
      : undefined;
  const message = printable(request ?? (typeof entry.msg === 'string' ? entry.msg : ''));
  const fields = Object.entries(entry)
    .filter(([key]) => !HEAD_FIELDS.has(key))
    .map(([key, value]) => `${printable(key)}=${printable(valueText(value))}`)
    .join(' ');
  const label = LEVELS[level] ?? String(level);
  if (!colours) return `${time} ${label} ${message}${fields ? `  ${fields}` : ''}`;
  const colour = COLOURS[level] ?? '';
  return `${DIM}${time}${RESET} ${colour}${label}${colour ? RESET : ''} ${message}${fields ? `  ${DIM}${fields}${RESET}` : ''}`;
}

/** A pino destination that writes readable lines (formatLogLine) to a terminal. */
export function terminalLog(out: NodeJS.WritableStream & { isTTY?: boolean }): DestinationStream {
  const colours = Boolean(out.isTTY);
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(`${formatLogLine(line, colours)}\n`);
    },
  };
}
