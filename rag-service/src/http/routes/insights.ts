import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { INSIGHTS_DAYS_DEFAULT, INSIGHTS_DAYS_MAX } from '@kb/contracts';
import { DatabaseUnavailableError } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { InsightsScope, InsightsStore } from '../../insights/insights-store.js';
import { callerOf, type Access } from '../auth.js';
import { csvField } from '../csv.js';
import { parseWith } from '../validate.js';

/**
 * A period in days as an admin writes it: digits only. Number() alone also takes "0x1e", "1e1", "3.0"
 * and " 30 ", so a typo would quietly read as another period; an empty `days=` is refused too.
 */
const Days = z
  .string('days must be given once, as a whole number of days')
  .regex(/^[0-9]+$/, `days must be a whole number from 1 to ${INSIGHTS_DAYS_MAX}, in digits`)
  .transform(Number)
  .pipe(
    z
      .number()
      .min(1, 'days must be at least 1')
      .max(INSIGHTS_DAYS_MAX, `days must be at most ${INSIGHTS_DAYS_MAX}`),
  );

const PeriodQuery = z.strictObject({ days: Days.default(INSIGHTS_DAYS_DEFAULT) });

/** A Forge admin sees their own installation's users; an admin key (or the local operator), the service. */
function scopeOf(res: Response): InsightsScope {
  const caller = callerOf(res);
  if (caller && caller.kind !== 'api-key') {
    return { kind: 'installation', installationId: caller.installationId ?? '' };
  }
  return { kind: 'service' };
}

/**
 * What users ask and what the docs cannot answer, for admins: the figures, the content gaps, and the
 * questions as CSV. With HISTORY=off nothing about questions is kept, so there are no insights either.
 */
export function insightsRoutes(
  insights: InsightsStore | undefined,
  auth: (a: Access) => RequestHandler,
): Router {
  const router = Router();
  const store = (): InsightsStore => {
    if (!insights) {
      throw new AppError('not_found', 'insights are off on this service: HISTORY=off keeps no questions');
    }
    return insights;
  };
  const handle =
    (work: (req: Parameters<RequestHandler>[0], res: Response) => Promise<void>): RequestHandler =>
    async (req, res) => {
      try {
        await work(req, res);
      } catch (err) {
        if (err instanceof DatabaseUnavailableError) {
          throw new AppError(
            'upstream_unavailable',
            'insights are unavailable right now (the history database does not answer)',
          );
        }
        throw err;
      }
    };

  router.get(
    '/api/v1/admin/insights',
    auth('admin'),
    handle(async (req, res) => {
      const { days } = parseWith(PeriodQuery, req.query, 'query');
      res.set('Cache-Control', 'no-store');
      res.json(await store().insights(days, scopeOf(res)));
    }),
  );

  router.get(
    '/api/v1/admin/insights/questions.csv',
    auth('admin'),
    handle(async (req, res) => {
      const { days } = parseWith(PeriodQuery, req.query, 'query');
      const rows = await store().questions(days, scopeOf(res));
      const lines = [
        ['asked_at', 'question', 'product', 'space_key', 'answered', 'rating', 'reason'].join(','),
        ...rows.map((r) =>
          [r.askedAt, r.question, r.product, r.spaceKey, r.answered, r.rating, r.reason]
            .map(csvField)
            .join(','),
        ),
      ];
      res.set('Cache-Control', 'no-store');
      res.attachment(`questions-last-${days}-days.csv`);
      res.type('text/csv; charset=utf-8').send(`\uFEFF${lines.join('\r\n')}\r\n`);
    }),
  );
  return router;
}
