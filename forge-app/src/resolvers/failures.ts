import { ErrorBody, type ErrorCode } from '@kb/contracts';
import type { ResolverFailure } from '../resolver-contract';

/**
 * Turns what went wrong into a message a Confluence reader or a support agent can act on. Service
 * messages for bad input are written for people and pass through; anything about infrastructure is
 * summarised, so no internal detail reaches the browser.
 */
const BY_SERVICE_CODE: Record<ErrorCode, (message: string) => ResolverFailure> = {
  invalid_request: (message) => ({ code: 'invalid_request', message, retryable: false }),
  payload_too_large: () => ({
    code: 'invalid_request',
    message: 'That is too long to send. Shorten the question and try again.',
    retryable: false,
  }),
  unauthorized: () => notTrusted(),
  forbidden: () => notTrusted(),
  not_found: (message) => ({ code: 'not_found', message, retryable: false }),
  conflict: (message) => ({ code: 'conflict', message, retryable: false }),
  rate_limited: () => ({
    code: 'rate_limited',
    message: 'The knowledge service is busy. Wait a few seconds and try again.',
    retryable: true,
  }),
  upstream_unavailable: () => unavailable(),
  internal: () => ({
    code: 'internal',
    message:
      'The knowledge service hit an unexpected error. Try again; if it keeps happening, tell your admin.',
    retryable: true,
  }),
};

function notTrusted(): ResolverFailure {
  return {
    code: 'unauthorized',
    message:
      'The knowledge service did not accept this app. An admin needs to set FORGE_APP_ID on the service to this app’s id.',
    retryable: false,
  };
}

export function unavailable(): ResolverFailure {
  return {
    code: 'unavailable',
    message:
      'The knowledge service or its language model cannot be reached right now. Try again in a moment.',
    retryable: true,
  };
}

/** The call's deadline passed; the message names the whole budget, which is what the reader waited. */
export function timedOut(deadline: { budgetMs: number }): ResolverFailure {
  const seconds = Math.round(deadline.budgetMs / 1000);
  return {
    code: 'timeout',
    message: `No answer within ${String(seconds)} seconds. Try again, or ask a narrower question.`,
    retryable: true,
  };
}

export function notAdmin(product: string): ResolverFailure {
  return {
    code: 'not_admin',
    message: `Only ${product} administrators can see the index and start a reindex.`,
    retryable: false,
  };
}

/** The service keeps no conversations: the panel hides its list rather than showing an error. */
export function noHistory(): ResolverFailure {
  return {
    code: 'no_history',
    message: 'The knowledge service keeps no conversation history.',
    retryable: false,
  };
}

/**
 * A conversation or answer the service does not find for this caller. The service answers the same for one
 * that was deleted (by the reader, or by retention) and for one that is someone else's, and so does this.
 */
export function notFound(what: string): ResolverFailure {
  return {
    code: 'not_found',
    message: `${what} was not found: it may have been deleted (conversations untouched for a while are removed).`,
    retryable: false,
  };
}

export function badInput(message: string): ResolverFailure {
  return { code: 'invalid_request', message, retryable: false };
}

export function unexpectedReply(): ResolverFailure {
  return {
    code: 'internal',
    message:
      'The knowledge service answered in a form this app does not understand. Check both are up to date.',
    retryable: false,
  };
}

/** The failure for a non-2xx reply from rag-service, read from its contract error body when it has one. */
export function failureFromService(status: number, bodyText: string): ResolverFailure {
  const body = ErrorBody.safeParse(safeJson(bodyText));
  if (body.success) {
    const failure = BY_SERVICE_CODE[body.data.error.code](body.data.error.message);
    const jobId = jobIdOf(body.data.error.details);
    return jobId ? { ...failure, jobId } : failure;
  }
  // No contract body: a proxy or load balancer answered. Judge by the status alone.
  if (status === 401 || status === 403) return notTrusted();
  if (status === 429) return BY_SERVICE_CODE.rate_limited('');
  return unavailable();
}

function jobIdOf(details: unknown): string | undefined {
  if (typeof details !== 'object' || details === null || !('jobId' in details)) return undefined;
  return typeof details.jobId === 'string' ? details.jobId : undefined;
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
