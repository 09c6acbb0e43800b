import { chmod } from 'node:fs/promises';
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
  let db: Database | undefined;
  try {
    db = config.history.databaseUrl
      ? new PostgresDatabase(config.history.databaseUrl)
      : await openEmbedded(config.dataDir);
    const applied = await migrate(db);
    log.info({ database: db.location, kind: db.kind, applied }, 'history database ready');
    return db;
  } catch (err) {
    // Answers matter more than their history: the service runs, keeping none, and says why.
    await db?.close().catch(() => undefined);
    log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'history database unavailable: conversations and feedback are not kept in this run',
    );
    return undefined;
  }
}

async function openEmbedded(dataDir: string): Promise<Database> {
  // As root the server runs as its own `postgres` user, which must be able to pass through DATA_DIR (0711:
  // traverse, not list; the files inside stay the service's own).
  if (process.getuid?.() === 0) await chmod(dataDir, 0o711).catch(() => undefined);
  return EmbeddedDatabase.open(path.join(dataDir, 'postgres'));
}
