import { ConfigError } from '../config.js';

/** A mistake in the command's arguments: said in one line, with where to look. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * What a failed command prints: one line, never a stack (an operator reads it, not a debugger); with
 * LOG_LEVEL=debug the stack follows, for a bug report. Argument mistakes point at the command's help.
 */
export function failureLine(err: unknown, command: string | undefined): string {
  const help = command ? `pnpm kb ${command} --help` : 'pnpm kb --help';
  const code = (err as { code?: unknown } | null | undefined)?.code;
  const message = withoutCredentials(messageOf(err));
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(message)?.[1] ?? 'option';
    return `unknown option ${option}: see ${help}`;
  }
  if ((typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) || err instanceof UsageError)
    return `${message.split('\n')[0]}: see ${help}`;
  if (err instanceof ConfigError) return message.replace(/:\n\s*/, ': ').replace(/\n\s*/g, '; ');
  return message.replace(/\s*\n\s*/g, ' ');
}

/** An error's message, or its first inner error's or cause's when it has none (a failed connect's AggregateError). */
function messageOf(err: unknown): string {
  // Duck-typed: an error from another realm (a worker, a VM context) is no `instanceof Error` here.
  const e = err as {
    message?: unknown;
    errors?: unknown[];
    cause?: unknown;
    code?: unknown;
    name?: unknown;
  } | null;
  if (typeof e?.message !== 'string') return String(err);
  if (e.message) return e.message;
  const inner = e.errors?.[0] ?? e.cause;
  if (inner !== undefined) return messageOf(inner);
  return typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'Error';
}

/** `scheme://user:password@host` → `scheme://host`: a URL in a message must not print its credentials. */
function withoutCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1');
}
