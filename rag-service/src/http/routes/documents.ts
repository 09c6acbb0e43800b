import { Router, type RequestHandler } from 'express';
import multer from 'multer';
import type { UploadService } from '../../ingest/uploads.js';
import { AppError } from '../../errors.js';
import type { Access } from '../auth.js';
import type { Metrics } from '../metrics.js';

export const UPLOAD_MAX_BYTES = 10 * 1024 * 1024;

export function documentRoutes(
  uploads: UploadService,
  auth: (a: Access) => RequestHandler,
  metrics: Metrics,
): Router {
  const router = Router();
  const single = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: UPLOAD_MAX_BYTES, files: 1, fields: 10, parts: 12, headerPairs: 50 },
  }).single('file');

  router.post(
    '/api/v1/documents',
    auth('chat'),
    (req, _res, next) => {
      if (!req.is('multipart/form-data')) {
        throw new AppError('invalid_request', 'send the document as multipart/form-data in the field "file"');
      }
      next();
    },
    single,
    async (req, res) => {
      if (!req.file)
        throw new AppError('invalid_request', 'no file: send the document in the multipart field "file"');
      const result = await uploads.ingest(req.file.originalname, req.file.buffer);
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
