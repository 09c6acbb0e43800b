import type { MigratedDatabase } from './db/migrated-database.js';
import { openDatabase } from './db/open.js';
import { ConversationStore } from './history/conversation-store.js';
import { InsightsStore } from './insights/insights-store.js';
import { PhrasingVectors } from './insights/phrasing-vectors.js';
import { RetentionSchedule } from './history/retention.js';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Server } from 'node:http';
import type { Check, Job, Readiness, SyncSource } from '@kb/contracts';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { ConfluenceVisibility } from './access/confluence-visibility.js';
import { ContentPermissionCheck } from './access/content-permission-check.js';
import { DecisionCache } from './access/decision-cache.js';
import { PageAccess } from './access/page-access.js';
import { ChatService } from './chat/chat-service.js';
import { ConfigError, type Config } from './config.js';
import { createApp } from './http/app.js';
import { Metrics } from './http/metrics.js';
import { Indexer } from './ingest/indexer.js';
import { PostgresJobLedger } from './ingest/postgres-job-ledger.js';
import { scheduleSyncs } from './ingest/sync-schedule.js';
import { JobRegistry, type JobRunner } from './ingest/jobs.js';
import { ConfluenceSource } from './ingest/sources/confluence.js';
import { PageEventQueue } from './ingest/page-events.js';
import type { DocumentSourceAdapter } from './ingest/sources/source.js';
import { documentsFolder, folderProblem } from './ingest/sources/files.js';
import { s3Url, S3Source } from './ingest/sources/s3.js';
import { s3Client, type S3Location } from './ingest/sources/s3-bucket.js';
import { BucketOriginals, DiskOriginals, type UploadOriginals } from './ingest/upload-originals.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { syncSources } from './ingest/sync.js';
import { migrateOwnerlessUploads } from './ingest/upload-migration.js';
import { UploadService } from './ingest/uploads.js';
import type { Embedder } from './models/embedder.js';
import { createModels } from './models/registry.js';
import type { Answerer, QuestionCondenser } from './chat/answerer.js';
import { ExtractiveAnswerer, LexicalCondenser } from './chat/extractive.js';
import { GenerativeAnswerer, ModelCondenser } from './chat/generative.js';
import { HealthTracker } from './models/resilient.js';
import { DEFAULT_RETRIEVAL, Retriever } from './retrieval/retriever.js';
import { warnIfIndexOutgrowsMemory } from './store/memory-fit.js';
import { EmbeddedStore } from './store/embedded.js';
import type { StoreLog } from './store/orphans.js';
import type { IndexIdentity, VectorStore } from './store/vector-store.js';
import { SERVICE_VERSION } from './version.js';
import { rankTable } from './text/bpe.js';

export interface Service {
  app: Express;
  store: VectorStore;
  jobs: JobRegistry;
  log: Logger;
  /** Page events from the Forge trigger, when Confluence is configured (tests wait on `settled()`). */
  pageEvents?: PageEventQueue;
  /**
   * Starts the startup sync of the documents folder and uploads, then (when configured) of the bucket;
   * resolves with the first job's id, undefined when a sync runs already (maybe on another replica).
   */
  syncFilesOnStart(): Promise<string | undefined>;
  /** Resolves when the startup syncs have ended (at once if none started). */
  startupSynced(): Promise<void>;
  close(): Promise<void>;
}

/** The models and what answers with them: a generative pair over a language model, else extractive. */
export interface ModelSet {
  answerer: Answerer;
  condenser: QuestionCondenser;
  embedder?: Embedder;
  /** Recent failures of the language model, for readiness. */
  llmHealth?: HealthTracker;
}

export async function modelSet(config: Config, log: Logger): Promise<ModelSet> {
  const { chatModel, embedder } = await createModels(config, log);
  if (!chatModel) return { answerer: new ExtractiveAnswerer(), condenser: new LexicalCondenser(), embedder };
  return {
    answerer: new GenerativeAnswerer(chatModel),
    condenser: new ModelCondenser(chatModel, log),
    embedder,
    llmHealth: chatModel.health,
  };
}

export interface ServiceOverrides {
  /** Replaces the configured models (tests use a deterministic embedder). */
  models?: ModelSet;
  /** Replaces each chat turn's budget timer (tests fire the budget themselves instead of waiting it out). */
  chatBudgetSignal?: (budgetMs: number) => AbortSignal;
  /** How long page events gather before a round (tests make it long and end bursts with `settled()`). */
  pageEventCoalesceMs?: number;
  /**
   * How long /readyz waits for the store and the database before calling them down (tests that are not
   * about readiness lift it: a loaded machine's in-process test servers can be slower than 2 s).
   */
  readinessProbeMs?: number;
  /** The memory the service may use (tests pose a small container); else its cgroup's limit or the machine's. */
  memoryLimitBytes?: number;
}

/** A load balancer's probe waits a few seconds: a dependency slower than this is reported down or degraded. */
const READINESS_PROBE_MS = 2000;

export function embeddingsId(embedder: Embedder | undefined): string {
  return embedder?.id ?? 'none';
}

type StoreFactory = (
  config: Config,
  identity: IndexIdentity,
  reset: boolean,
  log: StoreLog | undefined,
) => Promise<VectorStore>;

/** The stores this build can use; VECTOR_STORE picks one. */
const STORES: Record<Config['vectorStore'], StoreFactory> = {
  embedded: (config, identity, reset, log) =>
    EmbeddedStore.open({ dir: path.join(config.dataDir, 'index'), identity, reset, log }),
  // Loaded when chosen: Qdrant's client is 5 MB of heap that an embedded index never needs.
  qdrant: async (config, identity, reset, log) =>
    (await import('./store/qdrant.js')).QdrantStore.open({
      url: config.qdrant.url!,
      apiKey: config.qdrant.apiKey,
      collection: config.qdrant.collection,
      identity,
      reset,
      log,
    }),
};

/** A store of `kind` for an index of `identity`, where `config` says (the one registry of stores). */
export function openIndex(
  config: Config,
  identity: IndexIdentity,
  reset: boolean,
  kind: Config['vectorStore'],
  log?: StoreLog,
): Promise<VectorStore> {
  return STORES[kind](config, identity, reset, log);
}

export function indexIdentity(embedder: Embedder | undefined): IndexIdentity {
  return { embeddings: embeddingsId(embedder), dimensions: embedder?.dimensions ?? 0 };
}

export async function openStore(
  config: Config,
  embedder: Embedder | undefined,
  reset = false,
  kind: Config['vectorStore'] = config.vectorStore,
  /** Told what the store repaired on opening (chunks a cut-short write left without a record). */
  log?: StoreLog,
): Promise<VectorStore> {
  return STORES[kind](config, indexIdentity(embedder), reset, log);
}

/** One S3 client per configuration: its connections are reused by every sync and upload. */
const S3_CLIENTS = new WeakMap<Config, S3Client>();

function s3ClientOf(config: Config, location: S3Location): S3Client {
  let client = S3_CLIENTS.get(config);
  if (!client) S3_CLIENTS.set(config, (client = s3Client(location)));
  return client;
}

/** Where uploaded originals are kept: the bucket when S3 is configured (every replica sees them), else DATA_DIR. */
export function uploadOriginals(config: Config, log: Logger): UploadOriginals {
  return config.s3
    ? new BucketOriginals(s3ClientOf(config, config.s3), config.s3, log)
    : new DiskOriginals(path.join(config.dataDir, 'uploads'));
}

/** What a sync of `source` reads: the documents folder and uploads, the bucket, or the Confluence spaces asked for. */
export function sourcesFor(
  config: Config,
  source: SyncSource,
  log: Logger,
  spaceKeys: readonly string[] = [],
): DocumentSourceAdapter[] {
  if (source === 'files') return fileSources(config, log);
  if (source === 's3') {
    const location = config.s3;
    if (!location) throw new ConfigError('the s3 source needs S3_BUCKET');
    return [
      new S3Source({
        client: s3ClientOf(config, location),
        location,
        name: 's3',
        idPrefix: 's3:',
        // The object's address, never a presigned link: a citation must not carry credentials.
        urlOf: (_relPath, key) => s3Url(location.bucket, key),
      }),
    ];
  }
  const c = config.confluence;
  if (!c)
    throw new ConfigError(
      'the confluence source needs CONFLUENCE_URL, CONFLUENCE_USERNAME and CONFLUENCE_API_TOKEN',
    );
  return [
    new ConfluenceSource({
      url: c.url,
      username: c.username,
      apiToken: c.apiToken,
      spaceKeys: spaceKeys.length ? spaceKeys : c.spaces,
    }),
  ];
}

/** The documents folder and the uploaded originals: the two halves of the `files` source. */
export function fileSources(config: Config, log: Logger): DocumentSourceAdapter[] {
  return [
    ...config.docsDirs.map((dir, i) => documentsFolder(dir, i === 0)),
    uploadOriginals(config, log).source(),
  ];
}

/** The sources a scheduled sync brings up to date, in turn: those configured, or else the documents folder and uploads. */
export function scheduledSources(config: Config): SyncSource[] {
  // With a bucket, uploads live in it: the files source (which lists them) runs after it, so an upload
  // that replaced its original but failed to index is caught up by the next tick, not the next restart.
  const configured: SyncSource[] = [
    ...(config.confluence ? (['confluence'] as const) : []),
    ...(config.s3 ? (['s3', 'files'] as const) : []),
  ];
  return configured.length ? configured : ['files'];
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Conversations and feedback: degraded (answers still flow, unsaved) while the database does not answer. */
async function historyCheck(database: MigratedDatabase, probeMs: number): Promise<Check> {
  return withTimeout(database.query('SELECT 1'), probeMs).then(
    () => ({ status: 'ok' as const, detail: `${database.kind} PostgreSQL at ${database.location}` }),
    (err: unknown) => ({
      status: 'degraded' as const,
      detail: `conversation history is not being kept: ${err instanceof Error ? err.message : String(err)}`,
    }),
  );
}

/** Why each documents folder that cannot be read cannot be (none when all can). */
async function folderProblems(dirs: readonly string[]): Promise<string[]> {
  return (await Promise.all(dirs.map(folderProblem))).filter((p): p is string => Boolean(p));
}

/** The documents folders: absent when all can be read, else degraded with every folder's problem. */
async function documentsCheck(dirs: readonly string[]): Promise<Check | undefined> {
  const problems = await folderProblems(dirs);
  return problems.length ? { status: 'degraded', detail: problems.join('; ') } : undefined;
}

/** The composition root's body: the only place that picks implementations and wires them together. */
export async function createService(
  config: Config,
  log: Logger,
  overrides: ServiceOverrides = {},
): Promise<Service> {
  rankTable(); // token counting's table, built now rather than in the middle of the first request
  // The index holds every indexed page's text, restricted ones too: a DATA_DIR made here is the service's
  // alone (0700). One that exists already keeps the mode its operator gave it.
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  if (config.auth.forgeAppId && config.auth.forgeInstallationIds === '*') {
    log.warn(
      "FORGE_INSTALLATION_IDS=*: a token from any installation of the app (any site, any development install) is accepted; name this site's installation id to serve it alone",
    );
  }
  const models = overrides.models ?? (await modelSet(config, log));
  const store = await openStore(config, models.embedder, false, config.vectorStore, log);
  if (store instanceof EmbeddedStore) {
    // Loading the search indexes takes seconds at a million chunks: begun now, not by the first question.
    store.startWarming();
    // The embedded index lives in this process's memory: say so at start if it has outgrown it.
    warnIfIndexOutgrowsMemory(await store.size(), log, overrides.memoryLimitBytes);
  }
  const uploadsDir = path.join(config.dataDir, 'uploads');
  await migrateOwnerlessUploads(uploadsDir, store, log);
  const embeddingsHealth = new HealthTracker();
  const indexer = new Indexer(store, models.embedder, undefined, embeddingsHealth);
  const metrics = new Metrics();

  const runner =
    (source: SyncSource): JobRunner =>
    ({ full, spaceKeys, signal, onProgress }) =>
      syncSources(sourcesFor(config, source, log, spaceKeys), {
        store,
        indexer,
        full,
        signal,
        log,
        onProgress,
        onSourceDone: (s, progress) => metrics.documentsIndexed.inc({ source: s.name }, progress.indexed),
      });
  const confluence = config.confluence;
  const defaultSource: SyncSource = confluence ? 'confluence' : config.s3 ? 's3' : 'files';
  const runners: Partial<Record<SyncSource, JobRunner>> = { files: runner('files') };
  if (confluence) runners.confluence = runner('confluence');
  if (config.s3) runners.s3 = runner('s3');
  const database = await openDatabase(config, log);
  // With DATABASE_URL every replica shares the jobs (records, progress, the one-sync rule); else a file.
  const jobs =
    config.databaseUrl && database
      ? new JobRegistry(new PostgresJobLedger(database), runners, log)
      : await JobRegistry.open(config.dataDir, runners, log);

  const access = new PageAccess(
    new ConfluenceVisibility(),
    new DecisionCache(config.access.cacheTtlMs, config.access.cacheMaxEntries),
    {
      unauthenticatedSpaces: config.access.unauthenticatedConfluenceSpaces,
      userTokenOrigins: config.access.forgeApiOrigins,
      // Jira users' tokens do not open Confluence: the indexing account checks for them.
      ...(confluence
        ? {
            checkForOthers: new ContentPermissionCheck({
              url: confluence.url,
              username: confluence.username,
              apiToken: confluence.apiToken,
            }),
          }
        : {}),
    },
    log,
  );
  const conversations = database && config.history.enabled ? new ConversationStore(database) : undefined;
  const insights =
    database && config.history.enabled
      ? new InsightsStore(database, {
          grouping: models.embedder && {
            vectors: new PhrasingVectors(models.embedder),
            sameTopic: config.history.gapSimilarity,
            log,
          },
        })
      : undefined;
  const retention = conversations
    ? new RetentionSchedule(conversations, config.history.retentionDays, log)
    : undefined;
  retention?.start();
  const chat = new ChatService({
    retriever: new Retriever(
      store,
      models.embedder,
      {
        ...DEFAULT_RETRIEVAL,
        topK: config.retrievalTopK,
        candidates: Math.max(DEFAULT_RETRIEVAL.candidates, config.retrievalTopK * 8),
      },
      embeddingsHealth,
      log,
    ),
    access,
    answerer: models.answerer,
    condenser: models.condenser,
    embeddingsId: embeddingsId(models.embedder),
    budgetMs: config.chatTimeoutMs,
    budgetSignal: overrides.chatBudgetSignal,
    conversations,
  });

  const probeMs = overrides.readinessProbeMs ?? READINESS_PROBE_MS;
  const readiness = async (): Promise<Readiness> => {
    const storeCheck: Check = await withTimeout(store.ping(), probeMs).then(
      () => ({ status: 'ok' as const, detail: `${store.kind} at ${store.location}` }),
      (err: unknown) => ({
        status: 'down' as const,
        detail: `${store.kind} store unavailable: ${err instanceof Error ? err.message : String(err)}`,
      }),
    );
    const llmProblem = models.llmHealth?.problem();
    const llm: Check = llmProblem
      ? { status: 'degraded', detail: llmProblem }
      : {
          status: 'ok',
          detail:
            models.answerer.modelId === 'none'
              ? 'extractive answers (no language model)'
              : models.answerer.modelId,
        };
    const embeddingsProblem = embeddingsHealth.problem();
    const embeddings: Check = embeddingsProblem
      ? { status: 'degraded', detail: embeddingsProblem }
      : {
          status: 'ok',
          detail: models.embedder ? models.embedder.id : 'lexical retrieval only (no embeddings)',
        };
    const history = conversations && database ? await historyCheck(database, probeMs) : undefined;
    const documents = await documentsCheck(config.docsDirs);
    const status =
      storeCheck.status === 'down'
        ? 'down'
        : [llm, embeddings, history, documents].some((c) => c && c.status !== 'ok')
          ? 'degraded'
          : 'ok';
    return {
      status,
      checks: {
        store: storeCheck,
        llm,
        embeddings,
        ...(history ? { history } : {}),
        ...(documents ? { documents } : {}),
      },
    };
  };

  const pageEvents = confluence
    ? new PageEventQueue({
        source: () => sourcesFor(config, 'confluence', log)[0] as ConfluenceSource,
        store,
        indexer,
        spaces: confluence.spaces,
        forgetDecisions: () => access.forgetDecisions(),
        reindexRunning: async () => {
          const job = await jobs.running().catch(() => undefined);
          return job?.source === 'confluence' ? { finished: jobs.whenFinished(job.id) } : undefined;
        },
        log,
        onEvent: (event, outcome) => metrics.pageEvents.inc({ event, outcome }),
        onSync: (outcome) => metrics.pageSyncs.inc({ outcome }),
        ...(overrides.pageEventCoalesceMs !== undefined ? { coalesceMs: overrides.pageEventCoalesceMs } : {}),
      })
    : undefined;

  const app = createApp({
    config,
    log,
    chat,
    uploads: new UploadService(uploadOriginals(config, log), store, indexer),
    jobs,
    store,
    metrics,
    readiness,
    defaultSource,
    access,
    pageEvents,
    conversations,
    insights,
    version: SERVICE_VERSION,
  });

  const schedule = config.reindexCron
    ? scheduleSyncs(
        config.reindexCron,
        scheduledSources(config),
        (source, slot) => jobs.start({ source, slot }),
        (id) => jobs.whenFinished(id),
        log,
      )
    : undefined;

  let startup: Promise<void> = Promise.resolve();
  return {
    app,
    store,
    jobs,
    log,
    pageEvents,
    async syncFilesOnStart() {
      for (const problem of await folderProblems(config.docsDirs))
        log.warn(`${problem}: nothing is answered from it (readiness says degraded until it can be read)`);
      let job: Job;
      try {
        job = await jobs.start({ source: 'files' });
      } catch (err) {
        // Another replica's sync of the shared index runs: it does this one's work.
        log.info({ err: (err as Error).message }, 'documents folder sync at start skipped');
        return undefined;
      }
      startup = jobs.whenFinished(job.id).then(async (done) => {
        const p = done.progress;
        log[done.state === 'succeeded' ? 'info' : 'warn'](
          { jobId: done.id, state: done.state, ...p },
          done.state === 'succeeded'
            ? `documents folder synced: ${p.indexed} indexed, ${p.unchanged} unchanged, ${p.deleted} removed, ${p.failed} failed`
            : `documents folder sync ${done.state}: ${done.error ?? ''}`,
        );
        // Then the bucket, so a new deployment answers from it without waiting for the first tick.
        if (!config.s3) return;
        const s3 = await jobs.start({ source: 's3' }).catch((err: unknown) => {
          log.info({ err: (err as Error).message }, 'bucket sync at start skipped');
        });
        if (s3) await jobs.whenFinished(s3.id);
      });
      return job.id;
    },
    async startupSynced() {
      await startup.catch(() => undefined);
    },
    async close() {
      schedule?.stop();
      await pageEvents?.close();
      await jobs.close();
      await store.close();
      await retention?.stop();
      await database?.close();
    },
  };
}

/** Stops accepting connections, lets running requests finish (up to `graceMs`), then closes the rest. */
export function closeServer(server: Server, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
