import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { CONVERSATIONS_PAGE_DEFAULT, CONVERSATIONS_PAGE_MAX, FeedbackRequest } from '@kb/contracts';
import { DatabaseUnavailableError } from '../../db/database.js';
import { AppError } from '../../errors.js';
import {
  ConversationNotFoundError,
  InvalidCursorError,
  type ConversationStore,
  type Owner,
} from '../../history/conversation-store.js';
import { ownerOf } from '../../history/owner.js';
import { callerOf, requireJson, type Access } from '../auth.js';
import { jsonBody } from '../json-body.js';
import { parseWith } from '../validate.js';

const ListQuery = z.object({
  limit: z.coerce
    .number()
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(CONVERSATIONS_PAGE_MAX, `limit must be at most ${CONVERSATIONS_PAGE_MAX}`)
    .default(CONVERSATIONS_PAGE_DEFAULT),
  cursor: z.string().min(1).max(200).optional(),
});

/** The store's refusals as the contract's errors; anything else is a bug and stays a 500. */
function translated(err: unknown): unknown {
  if (err instanceof ConversationNotFoundError) return new AppError('not_found', err.message);
  if (err instanceof InvalidCursorError) return new AppError('invalid_request', err.message);
  if (err instanceof DatabaseUnavailableError) {
    return new AppError(
      'upstream_unavailable',
      'conversation history is unavailable right now (its database does not answer); try again shortly',
    );
  }
  return err;
}

/**
 * The caller's own conversations: list, read, delete, and feedback on answers. Each call names its owner
 * to the store, which puts it in every statement: another caller's conversation is a 404, like none.
 */
export function conversationRoutes(
  conversations: ConversationStore | undefined,
  auth: (a: Access) => RequestHandler,
): Router {
  const router = Router();
  const ownedBy = (res: Response): { store: ConversationStore; owner: Owner } => {
    if (!conversations) {
      throw new AppError('not_found', 'conversation history is off on this service (HISTORY=off)');
    }
    const owner = ownerOf(callerOf(res));
    if (!owner) throw new AppError('not_found', 'this call names no user, so it has no conversations');
    return { store: conversations, owner };
  };
  const handle =
    (work: (req: Parameters<RequestHandler>[0], res: Response) => Promise<void>): RequestHandler =>
    async (req, res) => {
      try {
        await work(req, res);
      } catch (err) {
        throw translated(err);
      }
    };

  router.get(
    '/api/v1/conversations',
    auth('chat'),
    handle(async (req, res) => {
      const { store, owner } = ownedBy(res);
      const query = parseWith(ListQuery, req.query, 'query');
      res.set('Cache-Control', 'no-store');
      res.json(await store.list(owner, query));
    }),
  );
  router.get(
    '/api/v1/conversations/:id',
    auth('chat'),
    handle(async (req, res) => {
      const { store, owner } = ownedBy(res);
      res.set('Cache-Control', 'no-store');
      res.json(await store.get(owner, String(req.params.id)));
    }),
  );
  router.delete(
    '/api/v1/conversations/:id',
    auth('chat'),
    handle(async (req, res) => {
      const { store, owner } = ownedBy(res);
      await store.delete(owner, String(req.params.id));
      res.status(204).end();
    }),
  );
  router.post(
    '/api/v1/messages/:id/feedback',
    auth('chat'),
    requireJson,
    jsonBody,
    handle(async (req, res) => {
      const { store, owner } = ownedBy(res);
      const feedback = parseWith(FeedbackRequest, req.body);
      res.json(await store.setFeedback(owner, String(req.params.id), feedback));
    }),
  );
  return router;
}
