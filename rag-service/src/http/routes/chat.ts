import { Router } from 'express';
import { ChatRequest, type ErrorCode } from '@kb/contracts';
import type { ChatService } from '../../chat/chat-service.js';
import { AppError } from '../../errors.js';
import type { Access } from '../auth.js';
import { requireJson } from '../auth.js';
import { jsonBody } from '../json-body.js';
import type { Metrics } from '../metrics.js';
import { openEventStream } from '../sse.js';
import { parseWith } from '../validate.js';
import { viewerOf } from '../viewer.js';
import { callerOf } from '../auth.js';
import { ownerOf } from '../../history/owner.js';
import type { RequestHandler } from 'express';

/** An error as the stream's `error` event: the contract's code, a safe message, never a stack. */
function streamError(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  return { code: 'internal', message: 'internal error: the failure was logged with this request id' };
}

export function chatRoutes(
  chat: ChatService,
  auth: (a: Access) => RequestHandler,
  metrics: Metrics,
  apiKeySpaces: 'all' | readonly string[],
): Router {
  const router = Router();
  router.post('/api/v1/chat', auth('chat'), requireJson, jsonBody, async (req, res) => {
    const request = parseWith(ChatRequest, req.body);
    const viewer = viewerOf(req, res, apiKeySpaces);
    const controller = new AbortController();
    // The client hung up before the answer was complete: stop retrieval and the model call.
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });

    if (!req.get('accept')?.includes('text/event-stream')) {
      const response = await chat.ask(request, viewer, controller.signal, ownerOf(callerOf(res)));
      metrics.chatAnswers.inc({
        outcome: response.sources.length ? 'answered' : 'nothing_found',
        mode: 'json',
      });
      res.json(response);
      return;
    }

    const stream = openEventStream(res);
    try {
      for await (const event of chat.stream(
        request,
        viewer,
        controller.signal,
        'streamed',
        ownerOf(callerOf(res)),
      )) {
        stream.send(event.event, event.data);
        if (event.event === 'done') {
          metrics.chatAnswers.inc({
            outcome: event.data.sources.length ? 'answered' : 'nothing_found',
            mode: 'stream',
          });
        }
      }
    } catch (err) {
      if (!controller.signal.aborted) {
        if (!(err instanceof AppError)) req.log.error({ err }, 'chat stream failed');
        metrics.chatAnswers.inc({ outcome: 'error', mode: 'stream' });
        stream.send('error', streamError(err));
      }
    } finally {
      stream.end();
    }
  });
  return router;
}
