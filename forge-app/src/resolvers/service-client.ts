import type { z } from 'zod';
import type { ResolverResult } from '../resolver-contract';
import { failureFromService, safeJson, timedOut, unavailable, unexpectedReply } from './failures';
import { callServiceRemote, type PlatformResponse } from './platform';

/**
 * Forge gives a UI-invoked function 25 s in all. A chat turn gets 20 s of it (the service's own budget,
 * CHAT_TIMEOUT_MS, defaults to 18 s so its clearer error normally arrives first); admin calls are quick
 * reads and writes and get 8 s. The rest is head-room for the Jira read and Forge's own overhead.
 */
export const CHAT_TIMEOUT_MS = 20_000;
export const ADMIN_TIMEOUT_MS = 8_000;

export interface ServiceRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** The caller from the resolver's trusted context: the service logs it for audit. */
  accountId: string | undefined;
  timeoutMs: number;
}

/** One call to rag-service: ends by `timeoutMs` whatever the network does, and never throws. */
export async function callService<S extends z.ZodType>(
  request: ServiceRequest,
  schema: S,
): Promise<ResolverResult<z.output<S>>> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The race, not just the abort signal, bounds the call: a runtime that ignores `signal` still ends here.
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve('timeout');
    }, request.timeoutMs);
  });
  try {
    const reply = await Promise.race([send(request, controller.signal), deadline]);
    if (reply === 'timeout') return { ok: false, error: timedOut(Math.round(request.timeoutMs / 1000)) };
    const text = await Promise.race([reply.text(), deadline]);
    if (text === 'timeout') return { ok: false, error: timedOut(Math.round(request.timeoutMs / 1000)) };
    if (!reply.ok) return { ok: false, error: failureFromService(reply.status, text) };
    const parsed = schema.safeParse(safeJson(text));
    return parsed.success ? { ok: true, data: parsed.data } : { ok: false, error: unexpectedReply() };
  } catch {
    // invokeRemote throws for proxy faults (remote unreachable, TLS, DNS): the user can only retry.
    return { ok: false, error: unavailable() };
  } finally {
    clearTimeout(timer);
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
