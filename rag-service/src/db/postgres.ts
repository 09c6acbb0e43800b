import pg from 'pg';
import {
  DatabaseUnavailableError,
  type Database,
  type Queryable,
  type Session,
  type SqlValue,
} from './database.js';

/** How long a statement or a connection attempt may take before the caller gets a clear error. */
const STATEMENT_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 5_000;

/** The server's host, port and database, never its user or password: for logs and the status page. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'postgres://(unparseable DATABASE_URL)';
  }
}

/** SQLSTATE classes that say the server, not the statement, is at fault: connection, resources, shutdown. */
const UNAVAILABLE = /^(08|53|57P)/;

function translate(err: unknown, location: string): unknown {
  const code = (err as { code?: string }).code;
  const network = code && /^E[A-Z]+$/.test(code); // ECONNREFUSED, ETIMEDOUT, …
  if (
    network ||
    (code && UNAVAILABLE.test(code)) ||
    /timeout|timed out|terminated|Connection/i.test(String(err))
  ) {
    // The driver's message can name the user; only the location is said.
    return new DatabaseUnavailableError(
      `the database at ${location} is unavailable (${code ?? 'no answer'})`,
    );
  }
  return err;
}

/** A PostgreSQL server through node-postgres: a small pool, per-statement timeouts, errors without secrets. */
export class PostgresDatabase implements Database {
  readonly kind: Database['kind'] = 'postgres';
  readonly location: string;
  private readonly pool: pg.Pool;

  constructor(url: string, options: { maxConnections?: number } = {}) {
    this.location = describeUrl(url);
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      // The server enforces statement_timeout only on what reaches it: a server that stopped answering
      // (a partition, a failover) is given up on by the client, a second later.
      query_timeout: STATEMENT_TIMEOUT_MS + 1_000,
      idleTimeoutMillis: 30_000,
      // A connection held for a lock must notice a server (or network) that went away.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // An idle client that loses its server must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async query<Row extends object>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    try {
      return (await this.pool.query<Row>(sql, [...params])).rows;
    } catch (err) {
      throw translate(err, this.location);
    }
  }

  async reserve(): Promise<Session> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw translate(err, this.location);
    }
    // A connection that breaks while held is reported to its holder, not thrown at the process.
    const lost = new AbortController();
    const onError = (err: Error) => lost.abort(translate(err, this.location));
    client.on('error', onError);
    return {
      lost: lost.signal,
      query: async <Row extends object>(sql: string, params: readonly SqlValue[] = []) => {
        try {
          return (await client.query<Row>(sql, [...params])).rows;
        } catch (err) {
          throw translate(err, this.location);
        }
      },
      release: (broken = false) => {
        client.off('error', onError);
        client.release(broken || lost.signal.aborted);
      },
    };
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const tx = await this.reserve();
    let broken = false;
    try {
      await tx.query('BEGIN');
      const result = await work(tx);
      await tx.query('COMMIT');
      return result;
    } catch (err) {
      await tx.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      // A client whose rollback failed is in an unknown state: destroyed, not returned to the pool.
      tx.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
