import type { ErrorRequestHandler, RequestHandler } from 'express';
import multer from 'multer';
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '@kb/contracts';
import { AppError } from '../errors.js';
import { UPLOAD_MAX_BYTES } from './routes/documents.js';

const CODE_BY_STATUS: Record<number, ErrorCode> = Object.fromEntries(
  Object.entries(ERROR_STATUS).map(([code, status]) => [status, code as ErrorCode]),
);

/** Errors raised by body parsers and multer, which know only HTTP, translated to the contract's codes. */
function fromFrameworkError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err instanceof multer.MulterError) {
    if (err.code === 'LIMIT_FILE_SIZE') {
      const mb = UPLOAD_MAX_BYTES / 1024 / 1024;
      return new AppError('payload_too_large', `the file is larger than the upload limit of ${mb} MB`);
    }
    if (err.code === 'LIMIT_FILE_COUNT')
      return new AppError('invalid_request', 'send exactly one file in the field "file"');
    if (err.code === 'LIMIT_UNEXPECTED_FILE') {
      return new AppError(
        'invalid_request',
        `unexpected file field "${err.field ?? ''}": send exactly one file in the field "file"`,
      );
    }
    return new AppError('invalid_request', `invalid upload: ${err.message}`);
  }
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  switch (e.type) {
    case 'entity.parse.failed':
      return new AppError('invalid_request', 'the request body is not valid JSON');
    case 'entity.too.large':
      return new AppError('payload_too_large', 'the request body is larger than the limit');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('invalid_request', `unsupported body encoding: ${e.message ?? ''}`);
    case 'request.aborted':
      return new AppError('invalid_request', 'the request body ended early');
    default:
      break;
  }
  const status = e.status ?? e.statusCode;
  if (status && status >= 400 && status < 500) {
    // Busboy and friends raise plain errors with a 4xx status for malformed input.
    return new AppError(
      CODE_BY_STATUS[status] ?? 'invalid_request',
      e.message ?? 'invalid request',
      undefined,
      status,
    );
  }
  if (e.message && /multipart|boundary|unexpected end of form|malformed part/i.test(e.message)) {
    return new AppError('invalid_request', `malformed multipart body: ${e.message}`);
  }
  return undefined;
}

export function errorBody(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

/** The one place errors become HTTP: contract JSON always, a stack trace never. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const known = fromFrameworkError(err);
  if (!known) req.log.error({ err }, 'unhandled error');
  else if (known.status >= 500)
    req.log.warn({ code: known.code, msg: known.message }, 'request failed upstream');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const appError =
    known ?? new AppError('internal', 'internal error: the failure was logged with this request id');
  res.status(appError.status).json(errorBody(appError.code, appError.message, appError.details));
};

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json(errorBody('not_found', `no route for ${req.method} ${req.originalUrl.split('?')[0]}`));
};
