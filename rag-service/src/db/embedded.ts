import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Database, Queryable, SqlValue } from './database.js';

/**
 * PostgreSQL in process (PGlite, WASM) with its files under one folder: no server to run, the same SQL and
 * migrations as the server adapter. One connection, so statements run one at a time; a transaction holds
 * it until it ends (PGlite queues the rest).
 */
export class EmbeddedDatabase implements Database {
  readonly kind = 'embedded' as const;

  private constructor(
    private readonly db: PGlite,
    readonly location: string,
  ) {}

  /** Opens (or creates, with initdb, a few seconds the first time) the database in `dir`. */
  static async open(dir: string): Promise<EmbeddedDatabase> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const db = new PGlite(dir);
    await db.waitReady;
    return new EmbeddedDatabase(db, dir);
  }

  /** A database that lives in memory only: for tests and benchmarks. */
  static async inMemory(): Promise<EmbeddedDatabase> {
    const db = new PGlite();
    await db.waitReady;
    return new EmbeddedDatabase(db, 'memory');
  }

  query<Row extends object>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return run<Row>(this.db, sql, params);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) =>
      work({
        query: <Row extends object>(sql: string, params: readonly SqlValue[] = []) =>
          run<Row>(tx, sql, params),
      }),
    );
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/**
 * Without parameters a statement may be a script of several (a migration), which only the simple protocol
 * takes: `exec`, as the server adapter's driver does by itself. With parameters, one prepared statement.
 */
async function run<Row extends object>(
  on: PGlite | Transaction,
  sql: string,
  params: readonly SqlValue[],
): Promise<Row[]> {
  if (params.length === 0) return ((await on.exec(sql)).at(-1)?.rows ?? []) as Row[];
  return (await on.query<Row>(sql, [...params])).rows;
}
