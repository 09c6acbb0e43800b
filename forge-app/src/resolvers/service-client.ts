import type { z } from 'zod';
import type { ResolverResult } from '../resolver-contract';
import { failureFromService, safeJson, timedOut, unavailable, unexpectedReply } from './failures';
import { TIMED_OUT, type Deadline } from './deadline';
import { callServiceRemote, type PlatformResponse } from './platform';

export interface ServiceRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  /** The caller from the resolver's trusted context: the service logs it for audit. */
  accountId: string | undefined;
}

/**
 * One call to rag-service within what is left of the call's deadline: ends by the deadline whatever the
 * network does, and never throws. With nothing left (a slow Jira read used it up) it does not start.
 */
export async function callService<S extends z.ZodType>(
  request: ServiceRequest,
  schema: S,
  deadline: Deadline,
): Promise<ResolverResult<z.output<S>>> {
  const timeout = { ok: false, error: timedOut(deadline) } as const;
  if (deadline.remainingMs() === 0) return timeout;
  try {
    // The race, not just the abort signal, bounds the call: a runtime that ignores `signal` still ends here.
    const reply = await deadline.race(send(request, deadline.signal));
    if (reply === TIMED_OUT) return timeout;
    const text = await deadline.race(reply.text());
    if (text === TIMED_OUT) return timeout;
    if (!reply.ok) return { ok: false, error: failureFromService(reply.status, text) };
    // A 204 (a delete) has no body: safeJson gives `undefined`, which such a call's schema expects.
    const parsed = schema.safeParse(safeJson(text));
    return parsed.success ? { ok: true, data: parsed.data } : { ok: false, error: unexpectedReply() };
  } catch {
    // invokeRemote throws for proxy faults (remote unreachable, TLS, DNS): the user can only retry.
    return { ok: false, error: unavailable() };
  }
}

function send(request: ServiceRequest, signal: AbortSignal): Promise<PlatformResponse> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.accountId) headers['x-forge-account-id'] = request.accountId;
  if (request.body === undefined)
    return callServiceRemote(request.path, { method: request.method, headers, signal });
  headers['content-type'] = 'application/json';
  return callServiceRemote(request.path, {
    method: request.method,
    headers,
    body: JSON.stringify(request.body),
    signal,
  });
}
