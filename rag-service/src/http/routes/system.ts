import { Router, type Request } from 'express';
import type { Readiness } from '@kb/contracts';
import type { Metrics } from '../metrics.js';

export type ReadinessProbe = () => Promise<Readiness>;

/** The verdicts without their detail (store paths and URLs, model names, upstream errors). */
function withoutDetail(report: Readiness): Readiness {
  const { store, llm, embeddings, history, documents } = report.checks;
  return {
    status: report.status,
    checks: {
      store: { status: store.status },
      llm: { status: llm.status },
      embeddings: { status: embeddings.status },
      ...(history ? { history: { status: history.status } } : {}),
      ...(documents ? { documents: { status: documents.status } } : {}),
    },
  };
}

/** `isOperator` decides who sees readiness detail; everyone else (load balancers, strangers) gets the verdicts. */
export function systemRoutes(
  readiness: ReadinessProbe,
  metrics: Metrics,
  isOperator: (req: Request) => boolean,
): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const report = await readiness();
    res.set('Cache-Control', 'no-store');
    res.status(report.status === 'down' ? 503 : 200).json(isOperator(req) ? report : withoutDetail(report));
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
