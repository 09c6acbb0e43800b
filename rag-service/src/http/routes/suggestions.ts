import { Router, type RequestHandler } from 'express';
import { SUGGESTIONS_MAX, type Suggestion, type SuggestionList } from '@kb/contracts';
import type { VectorStore } from '../../store/vector-store.js';
import type { Access } from '../auth.js';

/** The list is computed at most this often: every page load asks, and the documents change rarely. */
const SUGGESTIONS_TTL_MS = 60_000;

/**
 * A few questions to start from, drawn from the titles of the documents folders' documents — what the
 * operator put there for everyone. Never from Confluence (a title can be as private as its page) or from
 * uploads (each uploader's own). The fullest documents first; the same list for everyone.
 */
export async function suggestionsFrom(store: VectorStore): Promise<Suggestion[]> {
  const documents = await store.listDocuments('files');
  const titles = [...documents]
    .sort((a, b) => b.chunks - a.chunks || a.title.localeCompare(b.title))
    .map((d) => d.title.trim())
    .filter((title, i, all) => title && all.indexOf(title) === i);
  return titles.slice(0, SUGGESTIONS_MAX).map((title) => ({ title, question: `Tell me about ${title}.` }));
}

export function suggestionRoutes(
  store: VectorStore,
  auth: (a: Access) => RequestHandler,
  now: () => number = Date.now,
): Router {
  const router = Router();
  let cached: { list: SuggestionList; until: number } | undefined;
  router.get('/api/v1/suggestions', auth('chat'), async (_req, res) => {
    if (!cached || cached.until <= now())
      cached = { list: { suggestions: await suggestionsFrom(store) }, until: now() + SUGGESTIONS_TTL_MS };
    res.set('Cache-Control', 'private, max-age=60').json(cached.list);
  });
  return router;
}
