import type { z } from 'zod';
import { invalidRequest } from '../errors.js';

interface Problem {
  path: string;
  message: string;
}

/** At most this many unknown keys are named, each cut short: the message echoes what the client sent. */
const NAMED_KEYS_MAX = 5;
const KEY_CHARS_MAX = 64;

function problemOf(issue: z.core.$ZodIssue): Problem {
  const path = issue.path.join('.') || '(root)';
  if (issue.code !== 'unrecognized_keys') return { path, message: issue.message };
  const named = issue.keys
    .slice(0, NAMED_KEYS_MAX)
    .map((k) => JSON.stringify(k.length > KEY_CHARS_MAX ? `${k.slice(0, KEY_CHARS_MAX)}…` : k));
  const more = issue.keys.length > NAMED_KEYS_MAX ? ` and ${issue.keys.length - NAMED_KEYS_MAX} more` : '';
  const where = path === '(root)' ? '' : ` at ${path}`;
  return {
    path,
    message: `unrecognized key${issue.keys.length > 1 ? 's' : ''} ${named.join(', ')}${more}${where}`,
  };
}

/**
 * The body parsed by a contract schema, or a 400 that lists every problem with its path. An unknown key
 * is named with where it was found (`unrecognized key "spaceKey" at filters`).
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map(problemOf);
  const first = result.error.issues[0];
  const headline = first ? problemOf(first) : undefined;
  const prefix =
    !headline || headline.path === '(root)' || first?.code === 'unrecognized_keys'
      ? ''
      : `${headline.path}: `;
  throw invalidRequest(`invalid ${what}${headline ? `: ${prefix}${headline.message}` : ''}`, { issues });
}
