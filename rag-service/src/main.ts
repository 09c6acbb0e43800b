import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, SERVICE_ROOT, loadConfig } from './config.js';
import { AppError } from './errors.js';
import { createHttpServer } from './http/server.js';
import { createLogger } from './logging.js';
import { terminalLog } from './terminal-log.js';
import { closeServer, createService } from './service.js';
import { IndexMismatchError } from './store/vector-store.js';
import { IndexLockedError } from './store/write-lock.js';

/** `.env` in the working directory, else beside the service; real environment variables win. */
function loadDotEnv(): void {
  for (const file of [path.resolve('.env'), path.join(SERVICE_ROOT, '.env')]) {
    if (existsSync(file)) {
      process.loadEnvFile(file);
      return;
    }
  }
}

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig(process.env);
  const readable = config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY);
  const log = createLogger(config.logLevel, readable ? terminalLog(process.stdout) : undefined);
  // A library promise nobody awaited must not take every user's conversation down with it: log it loudly.
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, 'unhandled promise rejection (kept running)');
  });
  const service = await createService(config, log);
  const server = createHttpServer(service.app, config.http).listen(config.port, config.host);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (err) {
    // The port is taken (or refused): stop what the service started, the embedded database included.
    await service.close().catch(() => undefined);
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/`;
  log.info(
    {
      url,
      store: service.store.kind,
      dataDir: config.dataDir,
      docsDir: config.docsDirs.join(path.delimiter),
      llm: config.llmProvider,
      embeddings: config.embeddingsProvider,
      auth:
        config.auth.apiKeys.length || config.auth.adminApiKeys.length ? 'api keys' : 'open (loopback only)',
    },
    `knowledge assistant listening on ${url}`,
  );
  // A person at a terminal looks for where to go: the address on a line of its own, past the log.
  if (readable) process.stdout.write(`\n  Open ${url} to ask the knowledge base.\n\n`);
  if (config.auth.allowUnauthenticated) {
    log.warn(
      'ALLOW_UNAUTHENTICATED=true: the API accepts calls without credentials on a non-loopback address',
    );
    if (!config.http.allowedHosts.length) {
      log.warn(
        'without credentials only requests addressed to localhost, 127.0.0.1 or [::1] are answered: ' +
          'set ALLOWED_HOSTS to the names clients use (or * behind a proxy that checks them)',
      );
    }
  }
  await service.syncFilesOnStart();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await closeServer(server);
    await service.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (
    err instanceof ConfigError ||
    err instanceof IndexMismatchError ||
    err instanceof AppError ||
    err instanceof IndexLockedError
  ) {
    process.stderr.write(`\n${err.message}\n\n`);
  } else {
    process.stderr.write(
      `\nThe service could not start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  process.exit(1);
});
