import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { documentView } from '../../chat/document-view.js';
import { AppError } from '../../errors.js';
import type { VectorStore } from '../../store/vector-store.js';
import type { Access } from '../auth.js';
import { parseWith } from '../validate.js';

const AroundQuery = z.object({
  around: z.coerce
    .number()
    .int('around must be a whole number: the ordinal of a section (a source id\'s number after "#")')
    .min(0, 'around must be 0 or more')
    .max(1_000_000, 'around must be at most 1000000')
    .default(0),
});

/** Ids are paths (`file:guides/setup.md`, `upload:<owner>/notes.pdf`); anything longer is not one. */
const ID_MAX_CHARS = 1_000;

/** A source opened from an answer: the document's indexed text, for callers who may ask the service. */
export function documentViewRoutes(store: VectorStore, auth: (a: Access) => RequestHandler): Router {
  const router = Router();
  // The id's slashes may come encoded (`file%3Aguides%2Fsetup.md`) or not (`file:guides/setup.md`).
  router.get('/api/v1/documents/*id', auth('chat'), async (req, res) => {
    const id = (req.params as { id: string[] }).id.join('/');
    if (id.length > ID_MAX_CHARS) {
      throw new AppError('invalid_request', `a document id has at most ${ID_MAX_CHARS} characters`);
    }
    const { around } = parseWith(AroundQuery, req.query, 'query');
    const view = await documentView(store, id, around);
    if (!view) {
      throw new AppError(
        'not_found',
        'no such document to show here (Confluence pages open in Confluence); the id is the part of a source id before "#"',
      );
    }
    res.set('Cache-Control', 'private, no-cache').json(view);
  });
  return router;
}
