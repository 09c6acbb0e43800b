import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from './database.js';
import { EmbeddedDatabase } from './embedded.js';
import { migrate } from './migrations.js';
import { PostgresDatabase } from './postgres.js';

/**
 * The history database the configuration names, migrated: the PostgreSQL server of `DATABASE_URL`, else
 * the embedded server under `DATA_DIR/postgres`. Undefined with HISTORY=off: nothing about questions is kept.
 */
export async function openHistoryDatabase(config: Config, log: Logger): Promise<Database | undefined> {
  if (!config.history.enabled) return undefined;
  const db = config.history.databaseUrl
    ? new PostgresDatabase(config.history.databaseUrl)
    : await EmbeddedDatabase.open(path.join(config.dataDir, 'postgres'), {
        onLog: (line) => log.debug({ postgres: line.trim() }, 'embedded postgres'),
      });
  const applied = await migrate(db);
  log.info({ database: db.location, kind: db.kind, applied }, 'history database ready');
  return db;
}
