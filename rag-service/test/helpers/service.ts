import { cp, mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { RequestListener, Server } from 'node:http';
import type { Job } from '@kb/contracts';
import type { DestinationStream } from 'pino';
import request from 'supertest';
import { loadConfig, SAMPLE_DOCS_DIR, type Config } from '../../src/config.js';
import { createHttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/logging.js';
import { closeServer, createService, type Service, type ServiceOverrides } from '../../src/service.js';
import { tempDir } from './temp.js';

export interface TestService {
  url: string;
  config: Config;
  service: Service;
  docsDir: string;
  dataDir: string;
  /** Waits for the startup sync to finish (at once if none started). */
  synced: Promise<unknown>;
  close(): Promise<void>;
}

/**
 * The whole service, in process, on an ephemeral loopback port, with its own data folder and a copy of
 * the sample docs (so tests may edit them).
 */
export async function startTestService(
  env: Record<string, string> = {},
  overrides: ServiceOverrides & {
    logTo?: DestinationStream;
    /** Sees each request before the service does (a test may, say, hold its objects weakly). */
    onRequest?: RequestListener;
  } = {},
): Promise<TestService> {
  const tmp = await tempDir();
  const docsDir = path.join(tmp.dir, 'docs');
  const dataDir = path.join(tmp.dir, 'data');
  await mkdir(dataDir, { recursive: true });
  await cp(SAMPLE_DOCS_DIR, docsDir, { recursive: true });
  const config = loadConfig({
    DATA_DIR: dataDir,
    DOCS_DIR: docsDir,
    PORT: '0',
    LOG_LEVEL: 'silent',
    // Suites about other things send more than a person would; the limits have tests of their own.
    RATE_LIMIT_CHAT_PER_MINUTE: '100000',
    RATE_LIMIT_UPLOADS_PER_MINUTE: '100000',
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '100000',
    // No database server per test service: suites about history turn it on (or name a DATABASE_URL).
    HISTORY: 'off',
    // Any installation in the test signer's environment, unless a suite says otherwise: suites about other
    // things sign for several sites; tenancy has tests of its own.
    ...(env.FORGE_APP_ID ? { FORGE_INSTALLATION_IDS: '*', FORGE_ENVIRONMENTS: 'DEVELOPMENT' } : {}),
    ...env,
  });
  const service = await createService(config, createLogger(config.logLevel, overrides.logTo), overrides);
  const jobId = await service.syncFilesOnStart();
  // No sync starts when the shared jobs' database is down at start (the log says so): nothing to wait for.
  const synced = jobId ? service.startupSynced() : Promise.resolve(undefined);
  const { onRequest } = overrides;
  const app: RequestListener = onRequest
    ? (req, res) => {
        onRequest(req, res);
        service.app(req, res);
      }
    : service.app;
  const server: Server = createHttpServer(app, config.http).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    service,
    docsDir,
    dataDir,
    synced,
    async close() {
      await closeServer(server, 1000);
      await service.close();
      await tmp.remove();
    },
  };
}

/** Runs a Confluence reindex through the admin API, as an operator would, and waits for it to end. */
export async function reindexConfluence(t: TestService, adminKey: string): Promise<Job> {
  const started = await request(t.url)
    .post('/api/v1/admin/reindex')
    .set('X-API-Key', adminKey)
    .send({ source: 'confluence' })
    .expect(202);
  return t.service.jobs.whenFinished(started.body.jobId as string);
}

export interface SseEvent {
  event: string;
  data: unknown;
}

/** Parses a complete `text/event-stream` body into its events. */
export function parseSse(body: string): SseEvent[] {
  return body
    .split('\n\n')
    .map((block) => block.trim())
    .filter((block) => block && !block.startsWith(':'))
    .map((block) => {
      const event = /^event: (.+)$/m.exec(block)?.[1] ?? 'message';
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) as unknown };
    });
}

/** Starts one service for the enclosing `describe` (after its startup sync) and stops it afterwards. */
export function useTestService(
  env: Record<string, string> = {},
  overrides: ServiceOverrides = {},
): TestService {
  const holder = {} as TestService;
  beforeAll(async () => {
    Object.assign(holder, await startTestService(env, overrides));
    await holder.synced;
  });
  afterAll(() => holder.close());
  return holder;
}
