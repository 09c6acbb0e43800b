import type { Database } from './database.js';

export interface Migration {
  version: number;
  name: string;
  /** Additive only: a migration never drops or rewrites what an older replica still reads. */
  sql: string;
}

/**
 * The schema, in order. Append; never edit one that has shipped (a database remembers which it ran).
 * Ids are UUIDs made by the service; times are timestamptz; sources, timings and usage are JSON as the
 * contract shapes them.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'conversations, messages and feedback',
    sql: `
      CREATE TABLE users (
        id text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('forge', 'api-key', 'local')),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE conversations (
        id uuid PRIMARY KEY,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title text NOT NULL,
        product text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      -- A caller's list, newest first, paged by (updated_at, id); and retention by age.
      CREATE INDEX conversations_by_user ON conversations (user_id, updated_at DESC, id DESC);
      CREATE INDEX conversations_by_age ON conversations (updated_at);
      CREATE TABLE messages (
        id uuid PRIMARY KEY,
        conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        role text NOT NULL CHECK (role IN ('user', 'assistant')),
        content text NOT NULL,
        sources jsonb NOT NULL DEFAULT '[]',
        -- Set on answers: the model that wrote it, how long it took, the tokens it used, whether the
        -- knowledge base had an answer (what the insights call a content gap when it did not).
        model text,
        timings jsonb,
        usage jsonb,
        answered boolean,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (conversation_id, seq)
      );
      CREATE TABLE feedback (
        message_id uuid PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
        rating text NOT NULL CHECK (rating IN ('up', 'down')),
        reason text CHECK (reason IN ('wrong', 'outdated', 'incomplete', 'not_relevant', 'other')),
        comment text CHECK (char_length(comment) <= 1000),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 2,
    name: 'sync jobs shared by every replica',
    sql: `
      CREATE TABLE jobs (
        id uuid PRIMARY KEY,
        state text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        -- The whole Job of the contract as the API returns it; state is kept beside it to be queried.
        record jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- A scheduled tick's time: every replica's cron fires it, and only the first one runs it.
        schedule_slot text UNIQUE,
        cancel_requested boolean NOT NULL DEFAULT false
      );
      CREATE INDEX jobs_newest_first ON jobs (created_at DESC);
      -- One sync at a time, whatever a replica believes: a second active row cannot exist.
      CREATE UNIQUE INDEX jobs_one_active ON jobs ((true)) WHERE state IN ('queued', 'running');
    `,
  },
  {
    version: 3,
    name: 'where each question was asked, for the insights',
    sql: `
      -- On questions: the space a question was asked in, and the product (a conversation's first turn's
      -- product is on the conversation; a later turn may come from elsewhere).
      ALTER TABLE messages ADD COLUMN space_key text;
      ALTER TABLE messages ADD COLUMN product text;
      -- The insights read a period's questions.
      CREATE INDEX messages_questions_by_time ON messages (created_at) WHERE role = 'user';
    `,
  },
];

/** Any fixed number: every replica takes the same lock, so only one migrates at a time. */
const MIGRATION_LOCK = 0x6b62_0001;

/**
 * Brings the schema up to date. Safe when several replicas start at once: each takes the same
 * transaction-scoped advisory lock, so one migrates and the others, once it commits, find nothing to do.
 * Each migration commits with its record, so a crash leaves either all of one or none of it.
 * Returns the versions this call applied.
 */
export async function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    const ran = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (done.length) return false;
      await tx.query(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return applied;
}
