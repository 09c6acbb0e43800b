/**
 * The database port: what conversations, feedback and shared jobs need of PostgreSQL, and no more. Two
 * adapters implement it with the same SQL: a PostgreSQL server (`DATABASE_URL`), and the embedded
 * default, a PostgreSQL server the service starts itself under `DATA_DIR`.
 */

/** A value a query may bind. */
export type SqlValue = string | number | boolean | null | Date;

export interface Queryable {
  /** Runs one statement with `$1…` parameters; rows come back as plain objects keyed by column name. */
  query<Row extends object>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
}

/** One connection kept for its holder: what a session-level lock needs (it lasts as long as the connection). */
export interface Session extends Queryable {
  /** Gives the connection back; `broken` discards it instead (its state is unknown). */
  release(broken?: boolean): void;
  /** Aborted when the connection breaks while held (the server went away, or ended it). */
  readonly lost: AbortSignal;
}

export interface Database extends Queryable {
  readonly kind: 'embedded' | 'postgres';
  /** Where the data lives, for the status page: a folder, or the server's host and database (no password). */
  readonly location: string;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** A connection of its own until released. */
  reserve(): Promise<Session>;
  close(): Promise<void>;
}

/** The database cannot be reached or refused the statement for a reason outside the caller's control. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}
