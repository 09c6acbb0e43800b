import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router } from 'express';
import { openApiDocument } from '../openapi.js';

const require = createRequire(import.meta.url);

/** `/openapi.json` and Swagger UI at `/docs`, served from the swagger-ui-dist package (no CDN). */
export function apiDocsRoutes(version: string, webDir: string): Router {
  const router = Router();
  const document = openApiDocument(version);
  const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get(['/docs', '/docs/'], (_req, res) => {
    res.sendFile(path.join(webDir, 'api-docs.html'));
  });
  router.use('/docs/assets', express.static(swaggerDir, { index: false, maxAge: '1h' }));
  return router;
}
