import { createRequire } from 'node:module';
import path from 'node:path';
import { Router } from 'express';
import { openApiDocument } from '../openapi.js';

const require = createRequire(import.meta.url);

/** The Swagger UI files `web/public/api-docs.html` loads; the rest of swagger-ui-dist (its demo page…) stays unserved. */
export const SWAGGER_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js'] as const;

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
  for (const file of SWAGGER_ASSETS) {
    router.get(`/docs/assets/${file}`, (_req, res) => {
      // `root`: the package lives under node_modules/.pnpm, and sendFile refuses dot folders in a full path.
      res.sendFile(file, { root: swaggerDir, maxAge: '1h' });
    });
  }
  return router;
}
