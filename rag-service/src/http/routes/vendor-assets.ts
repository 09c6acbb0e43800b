import { createRequire } from 'node:module';
import path from 'node:path';
import { Router } from 'express';

const require = createRequire(import.meta.url);

/**
 * The chat page's two libraries, served from their packages (no CDN: the page's CSP allows only 'self'):
 * marked turns an answer's Markdown into HTML, DOMPurify keeps only safe HTML of it. The path the page
 * imports → the package and the ES module file inside it.
 */
export const VENDOR_ASSETS: Record<string, { pkg: string; file: string }> = {
  'marked.js': { pkg: 'marked', file: 'lib/marked.esm.js' },
  'purify.js': { pkg: 'dompurify', file: 'dist/purify.es.mjs' },
};

/** A package's folder, from its entry point (DOMPurify's exports do not list package.json). */
function packageRoot(pkg: string): string {
  const entry = require.resolve(pkg);
  const marker = `${path.sep}node_modules${path.sep}${pkg}${path.sep}`;
  return entry.slice(0, entry.lastIndexOf(marker) + marker.length - 1);
}

export function vendorAssetRoutes(): Router {
  const router = Router();
  for (const [name, { pkg, file }] of Object.entries(VENDOR_ASSETS)) {
    const root = packageRoot(pkg);
    router.get(`/assets/vendor/${name}`, (_req, res) => {
      // `root`: under pnpm the package lives below node_modules/.pnpm, and sendFile refuses dot folders.
      res.type('text/javascript').sendFile(file, { root, maxAge: '1h' });
    });
  }
  return router;
}
