import {
  DatabaseUnavailableError,
  type Database,
  type Queryable,
  type Session,
  type SqlValue,
} from './database.js';
import { migrate } from './migrations.js';

/** The shortest wait between two attempts to reach a database that did not answer. */
const RETRY_AFTER_MS = 5_000;

/**
 * A database that is migrated before its first use, and keeps trying while it cannot be reached: a
 * service that starts while PostgreSQL is down answers without history, and keeps history again as soon
 * as the server is back — no restart. Calls in between fail at once with `DatabaseUnavailableError`
 * rather than each waiting for a connection timeout.
 */
export class MigratedDatabase implements Database {
  private migrated = false;
  private attempt: Promise<void> | undefined;
  private failedAt = 0;
  private lastError: string | undefined;

  constructor(
    private readonly db: Database,
    private readonly onMigrated: (applied: number[]) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get kind(): Database['kind'] {
    return this.db.kind;
  }

  get location(): string {
    return this.db.location;
  }

  /** Migrates now if not done yet (one attempt at a time, none within RETRY_AFTER_MS of a failure). */
  async ready(): Promise<void> {
    if (this.migrated) return;
    if (!this.attempt && this.now() - this.failedAt < RETRY_AFTER_MS) {
      throw new DatabaseUnavailableError(this.lastError ?? `the database at ${this.location} is unavailable`);
    }
    this.attempt ??= migrate(this.db).then(
      (applied) => {
        this.migrated = true;
        this.attempt = undefined;
        this.onMigrated(applied);
      },
      (err: unknown) => {
        this.failedAt = this.now();
        this.lastError = err instanceof Error ? err.message : String(err);
        this.attempt = undefined;
        throw err instanceof DatabaseUnavailableError ? err : new DatabaseUnavailableError(this.lastError);
      },
    );
    await this.attempt;
  }

  async query<Row extends object>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    await this.ready();
    return this.db.query<Row>(sql, params);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    await this.ready();
    return this.db.transaction(work);
  }

  async reserve(): Promise<Session> {
    await this.ready();
    return this.db.reserve();
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
