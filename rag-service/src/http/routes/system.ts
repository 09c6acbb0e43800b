import { Router } from 'express';
import type { Readiness } from '@kb/contracts';
import type { Metrics } from '../metrics.js';

export type ReadinessProbe = () => Promise<Readiness>;

export function systemRoutes(readiness: ReadinessProbe, metrics: Metrics): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await readiness();
    res.status(report.status === 'down' ? 503 : 200).json(report);
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
