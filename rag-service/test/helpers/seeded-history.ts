import { randomUUID } from 'node:crypto';
import pg from 'pg';

const DAY = 86_400_000;

/** A seeded history: questions over days, spaces, products and users, some unanswered, some rated. */
export interface Seeded {
  user: string;
  question: string;
  daysAgo: number;
  spaceKey: string | null;
  product: 'confluence' | 'jira' | 'web';
  answered: boolean;
  rating: 'up' | 'down' | null;
  reason: string | null;
  cited: string | null;
}

/** Writes the rows as the service would: one conversation per row, the question then its answer. */
export async function seedHistory(url: string, rows: Seeded[], now: number): Promise<void> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    for (const r of rows) {
      const at = new Date(now - r.daysAgo * DAY - 60_000).toISOString();
      const conversation = randomUUID();
      const answer = randomUUID();
      await db.query(`INSERT INTO users (id, kind) VALUES ($1, 'forge') ON CONFLICT (id) DO NOTHING`, [
        r.user,
      ]);
      await db.query(
        `INSERT INTO conversations (id, user_id, title, product, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
        [conversation, r.user, r.question, r.product, at],
      );
      const sources = r.cited
        ? [{ n: 1, id: `${r.cited}#0`, title: `Page ${r.cited}`, url: `https://x/${r.cited}`, cited: true }]
        : [];
      await db.query(
        `INSERT INTO messages (id, conversation_id, seq, role, content, space_key, product, created_at)
         VALUES ($1, $2, 0, 'user', $3, $4, $5, $6)`,
        [randomUUID(), conversation, r.question, r.spaceKey, r.product, at],
      );
      await db.query(
        `INSERT INTO messages (id, conversation_id, seq, role, content, sources, answered, created_at)
         VALUES ($1, $2, 1, 'assistant', 'an answer', $3, $4, $5)`,
        [answer, conversation, JSON.stringify(sources), r.answered, at],
      );
      if (r.rating)
        await db.query(`INSERT INTO feedback (message_id, rating, reason) VALUES ($1, $2, $3)`, [
          answer,
          r.rating,
          r.reason,
        ]);
    }
  } finally {
    await db.end();
  }
}
