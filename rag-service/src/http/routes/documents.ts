import { Router, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import { LOCAL_OWNER, uploadOwner, type UploadService } from '../../ingest/uploads.js';
import { AppError } from '../../errors.js';
import { callerOf, type Access } from '../auth.js';
import type { Metrics } from '../metrics.js';

export const UPLOAD_MAX_BYTES = 10 * 1024 * 1024;

/** Whose upload this is: the caller `auth` let in, by a digest; the local operator in the loopback mode. */
function uploaderOf(res: Response): string {
  const caller = callerOf(res);
  if (!caller) return LOCAL_OWNER;
  if (caller.kind === 'api-key') return uploadOwner('key', caller.keyDigest);
  if (!caller.accountId) {
    throw new AppError('forbidden', 'an upload belongs to a user, and this Forge call named none');
  }
  return uploadOwner('forge', `${caller.installationId ?? ''}\n${caller.accountId}`);
}

export function documentRoutes(
  uploads: UploadService,
  auth: (a: Access) => RequestHandler,
  metrics: Metrics,
): Router {
  const router = Router();
  const single = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: UPLOAD_MAX_BYTES, files: 1, fields: 10, parts: 12, headerPairs: 50 },
    // Browsers and curl send a file name as raw UTF-8 bytes; busboy would read them as latin1
    // ("Übersicht" → "Ã\u009cbersicht"). An RFC 5987 `filename*=UTF-8''…` names its charset and wins.
    defParamCharset: 'utf8',
  }).single('file');

  router.post(
    '/api/v1/documents',
    auth('chat'),
    (req, res, next) => {
      if (!req.is('multipart/form-data')) {
        throw new AppError('invalid_request', 'send the document as multipart/form-data in the field "file"');
      }
      // Decided before the body is read: a call that may not upload is refused without buffering a file.
      (res.locals as { uploader?: string }).uploader = uploaderOf(res);
      next();
    },
    single,
    async (req, res) => {
      if (!req.file)
        throw new AppError('invalid_request', 'no file: send the document in the multipart field "file"');
      const { uploader } = res.locals as { uploader: string };
      const result = await uploads.ingest(uploader, req.file.originalname, req.file.buffer);
      if (result.status === 'indexed') metrics.documentsIndexed.inc({ source: 'upload' });
      req.log.info(
        { document: result.id, chunks: result.chunks, status: result.status },
        'document uploaded',
      );
      res.status(result.status === 'indexed' ? 201 : 200).json(result);
    },
  );
  return router;
}
