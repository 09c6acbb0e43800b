import { Router, type RequestHandler } from 'express';
import { ForgePageEvent, type ForgeEventAccepted } from '@kb/contracts';
import { AppError } from '../../errors.js';
import type { PageEvent, PageEventAction, PageEventQueue } from '../../ingest/page-events.js';
import { callerOf, requireJson, type Access } from '../auth.js';
import { jsonBody } from '../json-body.js';
import { parseWith } from '../validate.js';

/** The page events the app's trigger subscribes to, and what each asks of the index. */
const EVENT_TYPE =
  /^avi:confluence:(created|updated|moved|restored|archived|unarchived|trashed|deleted|permissions_updated):(page|blogpost)$/;
const CONTENT_ID = /^\d{1,20}$/;

function actionOf(verb: string): PageEventAction {
  return verb === 'permissions_updated' ? 'permissions' : 'sync';
}

/**
 * `POST /api/v1/forge/events`: Confluence page events from the app's trigger (Forge's own payload). Only a
 * Forge Invocation Token of a served installation may send them (the tenancy rule of every route); the
 * reply comes at once — Forge gives such calls 5 s — and the page is synced in the background.
 */
export function forgeEventRoutes(
  events: PageEventQueue | undefined,
  auth: (a: Access) => RequestHandler,
): Router {
  const router = Router();
  router.post('/api/v1/forge/events', auth('chat'), requireJson, jsonBody, (req, res) => {
    if (callerOf(res)?.kind !== 'forge') {
      throw new AppError(
        'forbidden',
        'page events are taken only from the Forge app (a Forge Invocation Token), not from an API key',
      );
    }
    const body = parseWith(ForgePageEvent, req.body ?? {});
    const reply = (accepted: ForgeEventAccepted) => res.status(202).json(accepted);
    const kind = EVENT_TYPE.exec(body.eventType);
    if (!kind)
      return reply({ status: 'ignored', reason: `${body.eventType.slice(0, 100)} is not a page event` });
    const id = body.content?.id === undefined ? '' : String(body.content.id);
    if (!CONTENT_ID.test(id))
      throw new AppError('invalid_request', 'content.id: a Confluence content id (digits) is required');
    if (!events) {
      return reply({
        status: 'ignored',
        reason: 'this service indexes no Confluence (CONFLUENCE_URL is not set)',
      });
    }
    const event: PageEvent = {
      eventType: body.eventType,
      contentId: id,
      kind: kind[2] === 'blogpost' ? 'blogpost' : 'page',
      spaceKey: body.content?.space?.key,
      previousSpaceKey: body.prevContent?.space?.key,
    };
    const status = events.accept(event, actionOf(kind[1]!));
    req.log.info({ eventType: body.eventType, content: id, status }, 'page event');
    return reply(
      status === 'queued'
        ? { status }
        : { status, reason: 'the page is in a space this service does not index' },
    );
  });
  return router;
}
