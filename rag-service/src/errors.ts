import { ERROR_STATUS, type ErrorCode } from '@kb/contracts';

/**
 * An error that means something to the caller. Everything the service throws on purpose is one of these;
 * anything else is a bug and reaches the client only as a generic `internal` error.
 */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly status: number = ERROR_STATUS[code],
  ) {
    super(message);
  }
}

export const invalidRequest = (message: string, details?: unknown) =>
  new AppError('invalid_request', message, details);
export const notFound = (message: string) => new AppError('not_found', message);
export const conflict = (message: string, details?: unknown) => new AppError('conflict', message, details);
