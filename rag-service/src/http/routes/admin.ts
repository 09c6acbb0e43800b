import { Router, type RequestHandler } from 'express';
import { ReindexRequest, type IndexStatus, type SyncSource } from '@kb/contracts';
import type { JobRegistry } from '../../ingest/jobs.js';
import type { VectorStore } from '../../store/vector-store.js';
import type { Access } from '../auth.js';
import { requireJson } from '../auth.js';
import { jsonBody } from '../json-body.js';
import { parseWith } from '../validate.js';

export interface AdminDeps {
  jobs: JobRegistry;
  store: VectorStore;
  embeddingsId: string;
  defaultSource: SyncSource;
  /** What an admin must fix, said on the index status (e.g. access checks that cannot be made). */
  notices: () => string[];
}

export function adminRoutes(deps: AdminDeps, auth: (a: Access) => RequestHandler): Router {
  const { jobs, store } = deps;
  const router = Router();
  router.use('/api/v1/admin', auth('admin'), jsonBody);

  router.post('/api/v1/admin/reindex', requireJson, async (req, res) => {
    const body = parseWith(ReindexRequest, req.body ?? {});
    const job = await jobs.start({
      source: body.source ?? deps.defaultSource,
      full: body.full,
      spaceKeys: body.spaceKeys,
    });
    res.status(202).location(`/api/v1/admin/jobs/${job.id}`).json({ jobId: job.id });
  });

  router.get('/api/v1/admin/jobs', async (_req, res) => {
    res.json({ jobs: await jobs.list() });
  });

  router.get('/api/v1/admin/jobs/:id', async (req, res) => {
    res.json(await jobs.get(req.params.id));
  });

  router.post('/api/v1/admin/jobs/:id/cancel', async (req, res) => {
    res.status(202).json(await jobs.cancel(req.params.id));
  });

  router.get('/api/v1/admin/index', async (_req, res) => {
    const stats = await store.stats();
    // The index is readable while the shared jobs' database is not: the last job is then unknown.
    const lastJob = (await jobs.list().catch(() => []))[0];
    const status: IndexStatus = {
      documents: stats.documents,
      chunks: stats.chunks,
      bySource: stats.bySource,
      lastSyncAt: stats.bySource.reduce<string | null>(
        (latest, s) => (s.lastSyncAt && (!latest || s.lastSyncAt > latest) ? s.lastSyncAt : latest),
        null,
      ),
      store: { kind: store.kind, location: store.location },
      embeddings: deps.embeddingsId,
      lastJob: lastJob ? { id: lastJob.id, source: lastJob.source, state: lastJob.state } : null,
      sources: jobs.sources(),
      notices: deps.notices(),
    };
    res.json(status);
  });
  return router;
}
