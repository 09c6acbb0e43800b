import type { z } from 'zod';
import { invalidRequest } from '../errors.js';

/** The body parsed by a contract schema, or a 400 that lists every problem with its path. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  const first = issues[0];
  throw invalidRequest(
    `invalid ${what}${first ? `: ${first.path === '(root)' ? '' : `${first.path}: `}${first.message}` : ''}`,
    { issues },
  );
}
