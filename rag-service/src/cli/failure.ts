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
  const code = (err as { code?: string }).code ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec((err as Error).message)?.[1] ?? 'option';
    return `unknown option ${option}: see ${help}`;
  }
  if (code.startsWith('ERR_PARSE_ARGS') || err instanceof UsageError)
    return `${(err as Error).message.split('\n')[0]}: see ${help}`;
  if (err instanceof ConfigError) return err.message.replace(/:\n\s*/, ': ').replace(/\n\s*/g, '; ');
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
}
