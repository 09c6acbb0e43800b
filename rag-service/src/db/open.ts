import { chmod } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { DatabaseUnavailableError, type Database } from './database.js';
import { EmbeddedDatabase } from './embedded.js';
import { MigratedDatabase } from './migrated-database.js';
import { PostgresDatabase } from './postgres.js';

/**
 * The service's database: the PostgreSQL server of `DATABASE_URL` (history and shared jobs), else with
 * history on the embedded server under `DATA_DIR/postgres`; undefined when neither is wanted. It never
 * stops the service from starting: answers matter more than their history. A server that is down is
 * retried on use; an embedded server that cannot start is reported on every answer and /readyz.
 */
export async function openDatabase(config: Config, log: Logger): Promise<MigratedDatabase | undefined> {
  const url = config.databaseUrl;
  if (!url && !config.history.enabled) return undefined;
  const db = url ? new PostgresDatabase(url) : await openEmbedded(config.dataDir, log);
  const history = new MigratedDatabase(db, (applied) =>
    log.info({ database: db.location, kind: db.kind, applied }, 'database ready'),
  );
  await history
    .ready()
    .catch((err: unknown) =>
      log.warn(
        { database: db.location, err: err instanceof Error ? err.message : String(err) },
        'database unavailable: history is not kept (answers say so) and shared jobs cannot start until it is back',
      ),
    );
  return history;
}

async function openEmbedded(dataDir: string, log: Logger): Promise<Database> {
  const dir = path.join(dataDir, 'postgres');
  try {
    // As root the server runs as its own `postgres` account, which must be able to pass through DATA_DIR
    // (0711: traverse, not list; the files inside stay the service's own).
    if (process.getuid?.() === 0) await chmod(dataDir, 0o711).catch(() => undefined);
    return await EmbeddedDatabase.open(dir);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log.error({ database: dir, err: reason }, 'the embedded history database could not start');
    return new UnstartedDatabase(dir, `the embedded history database could not start: ${reason}`);
  }
}

/** An embedded server that did not start: every use says why, and nothing else breaks. */
class UnstartedDatabase implements Database {
  readonly kind = 'embedded' as const;

  constructor(
    readonly location: string,
    private readonly reason: string,
  ) {}

  query(): Promise<never> {
    return Promise.reject(new DatabaseUnavailableError(this.reason));
  }

  transaction(): Promise<never> {
    return this.query();
  }

  reserve(): Promise<never> {
    return this.query();
  }

  async close(): Promise<void> {}
}
