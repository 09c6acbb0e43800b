import type { ChatProduct, CitedSource, FeedbackReason, Insights, InsightsDay } from '@kb/contracts';
import type { Database } from '../db/database.js';
import {
  QUESTION_CHARS,
  contentGapsOf,
  lexicalGapGroups,
  type GapGroup,
  type GapQuestion,
} from './content-gaps.js';
import { mergeByMeaning } from './meaning-merge.js';
import type { GapGrouping } from './phrasing-vectors.js';

/**
 * Whose questions an admin sees: an admin key, the whole service; a Forge admin, the users of their own
 * installation (a site's admin never reads another site's questions).
 */
export type InsightsScope = { kind: 'service' } | { kind: 'installation'; installationId: string };

const FEEDBACK_REASONS: readonly FeedbackReason[] = [
  'wrong',
  'outdated',
  'incomplete',
  'not_relevant',
  'other',
];
const DAY_MS = 86_400_000;
/** Most cited documents listed. */
const TOP_SOURCES = 10;
/** Unanswered or rated-down questions grouped at most (the most recent): a bound on the request's work. */
const GAP_QUESTIONS_MAX = 20_000;
/** Questions read for how common each word is among what people ask. */
const VOCABULARY_QUESTIONS_MAX = 20_000;
/** Gap groups returned at most. */
const GAPS_MAX = 50;

/**
 * A period's questions with their answer and its rating: $1 the period's start, $2 the user-id prefix of
 * an installation (NULL: every user). An answer with no sources counts as unanswered, whatever the flag.
 */
const QUESTIONS = `
  q AS (
    SELECT m.id, m.conversation_id, m.content, m.created_at, m.space_key,
           coalesce(m.product, c.product) AS product, c.user_id, a.sources,
           coalesce(a.answered, false) AND jsonb_array_length(coalesce(a.sources, '[]'::jsonb)) > 0 AS answered,
           f.rating, f.reason
      FROM messages m
      JOIN conversations c ON c.id = m.conversation_id
      LEFT JOIN messages a ON a.conversation_id = m.conversation_id AND a.seq = m.seq + 1
      LEFT JOIN feedback f ON f.message_id = a.id
     WHERE m.role = 'user' AND m.created_at >= $1
       AND ($2::text IS NULL OR starts_with(c.user_id, $2::text))
  )`;

const int = (v: unknown): number => Number(v ?? 0);

/** What people asked over a period, what went unanswered and what they rated: the admin's to-do list. */
export class InsightsStore {
  private readonly now: () => Date;
  private readonly grouping: GapGrouping | undefined;

  constructor(
    private readonly db: Database,
    options: { now?: () => Date; grouping?: GapGrouping } = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.grouping = options.grouping;
  }

  /** The questions of a period, for an export: oldest first. */
  async questions(
    days: number,
    scope: InsightsScope,
  ): Promise<
    {
      askedAt: string;
      question: string;
      product: string | null;
      spaceKey: string | null;
      answered: boolean;
      rating: string | null;
      reason: string | null;
    }[]
  > {
    const rows = await this.db.query<{
      created_at: Date;
      content: string;
      product: string | null;
      space_key: string | null;
      answered: boolean;
      rating: string | null;
      reason: string | null;
    }>(
      `WITH ${QUESTIONS}
       SELECT created_at, content, product, space_key, answered, rating, reason FROM q ORDER BY created_at, id`,
      this.params(periodStart(this.now(), days), scope),
    );
    return rows.map((r) => ({
      askedAt: new Date(r.created_at).toISOString(),
      question: r.content,
      product: r.product,
      spaceKey: r.space_key,
      answered: r.answered,
      rating: r.rating,
      reason: r.reason,
    }));
  }

  async insights(days: number, scope: InsightsScope): Promise<Insights> {
    // One clock reading per request: the period the response names is the period its queries count.
    const to = this.now();
    const from = periodStart(to, days);
    const params = this.params(from, scope);
    // The first QUESTION_CHARS of each question, and one more to tell a cut one: the rest never leaves
    // the database (see QUESTION_CHARS).
    const readingGaps = this.db.query<{
      content: string;
      created_at: Date;
      answered: boolean;
      rating: string | null;
    }>(
      `WITH ${QUESTIONS}
       SELECT left(content, ${QUESTION_CHARS + 1}) AS content, created_at, answered, rating
         FROM q WHERE NOT answered OR rating = 'down'
        ORDER BY created_at DESC, id LIMIT ${GAP_QUESTIONS_MAX}`,
      params,
    );
    // What people ask in general, for how common each word is (see lexicalGapGroups): read only when
    // there is a gap to group.
    const readingAsked = readingGaps.then((gaps) =>
      gaps.length
        ? this.db.query<{ content: string }>(
            `WITH ${QUESTIONS} SELECT left(content, ${QUESTION_CHARS}) AS content FROM q
              ORDER BY created_at DESC, id LIMIT ${VOCABULARY_QUESTIONS_MAX}`,
            params,
          )
        : [],
    );
    const [totals, reasons, perDay, perSpace, perProduct, topSources, gapRows, asked] = await Promise.all([
      this.db.query<Record<string, unknown>>(
        `WITH ${QUESTIONS}
         SELECT count(*) AS questions, count(DISTINCT conversation_id) AS conversations,
                count(DISTINCT user_id) AS users, count(*) FILTER (WHERE answered) AS answered,
                count(*) FILTER (WHERE rating = 'up') AS up, count(*) FILTER (WHERE rating = 'down') AS down
           FROM q`,
        params,
      ),
      this.db.query<{ reason: FeedbackReason; n: string }>(
        `WITH ${QUESTIONS}
         SELECT reason, count(*) AS n FROM q WHERE rating = 'down' AND reason IS NOT NULL GROUP BY reason`,
        params,
      ),
      this.db.query<{ day: string; questions: string; unanswered: string; up: string; down: string }>(
        `WITH ${QUESTIONS}
         SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS questions,
                count(*) FILTER (WHERE NOT answered) AS unanswered,
                count(*) FILTER (WHERE rating = 'up') AS up, count(*) FILTER (WHERE rating = 'down') AS down
           FROM q GROUP BY 1`,
        params,
      ),
      this.db.query<{ space_key: string | null; n: string }>(
        `WITH ${QUESTIONS}
         SELECT space_key, count(*) AS n FROM q GROUP BY space_key ORDER BY n DESC, space_key NULLS LAST`,
        params,
      ),
      this.db.query<{ product: ChatProduct | null; n: string }>(
        `WITH ${QUESTIONS}
         SELECT product, count(*) AS n FROM q GROUP BY product ORDER BY n DESC, product NULLS LAST`,
        params,
      ),
      // A document is cited when one of its passages is: the id before '#' names the document.
      this.db.query<{ id: string; title: string | null; url: string | null; n: string }>(
        `WITH ${QUESTIONS}
         SELECT split_part(s->>'id', '#', 1) AS id, max(s->>'title') AS title, max(s->>'url') AS url,
                count(*) AS n
           FROM q, jsonb_array_elements(coalesce(q.sources, '[]'::jsonb)) AS s
          WHERE (s->>'cited')::boolean IS TRUE
          GROUP BY 1 ORDER BY n DESC, id LIMIT ${TOP_SOURCES}`,
        params,
      ),
      readingGaps,
      readingAsked,
    ]);
    const t = totals[0] ?? {};
    const questions = int(t.questions);
    const answered = int(t.answered);
    const byReason = new Map(reasons.map((r) => [r.reason, int(r.n)]));
    const gapQuestions: GapQuestion[] = gapRows.map((r) => ({
      text: r.content,
      askedAt: new Date(r.created_at).toISOString(),
      unanswered: !r.answered,
      ratedDown: r.rating === 'down',
    }));
    const gaps = await this.gapGroups(
      lexicalGapGroups(
        gapQuestions,
        asked.map((r) => r.content),
      ),
    );
    return {
      days,
      from: from.toISOString(),
      to: to.toISOString(),
      scope: scope.kind,
      totals: {
        questions,
        conversations: int(t.conversations),
        users: int(t.users),
        answered,
        unanswered: questions - answered,
      },
      feedback: {
        up: int(t.up),
        down: int(t.down),
        reasons: Object.fromEntries(FEEDBACK_REASONS.map((r) => [r, byReason.get(r) ?? 0])) as Record<
          FeedbackReason,
          number
        >,
      },
      perDay: everyDay(from, to, perDay),
      gaps: contentGapsOf(gaps.groups).slice(0, GAPS_MAX),
      gapsGroupedBy: gaps.by,
      topSources: topSources.map((s): CitedSource => ({
        id: s.id,
        title: s.title || s.id,
        url: s.url || '',
        citations: int(s.n),
      })),
      perSpace: perSpace.map((r) => ({ spaceKey: r.space_key, questions: int(r.n) })),
      perProduct: perProduct.map((r) => ({ product: r.product, questions: int(r.n) })),
    };
  }

  /**
   * The lexical groups, joined by meaning when an embedding model is configured. A model that does not
   * answer (after retries) leaves the words' grouping, said in `gapsGroupedBy`: the page still loads.
   */
  private async gapGroups(
    lexical: GapGroup[],
  ): Promise<{ groups: GapGroup[]; by: Insights['gapsGroupedBy'] }> {
    const grouping = this.grouping;
    if (!grouping) return { groups: lexical, by: 'words' };
    try {
      const groups = await mergeByMeaning(lexical, (texts) => grouping.vectors.of(texts), grouping.sameTopic);
      return { groups, by: 'meaning' };
    } catch (err) {
      grouping.log.warn(
        { err: err instanceof Error ? err.message : String(err), embeddings: grouping.vectors.id },
        'content gaps grouped by words: the embedding model did not answer',
      );
      return { groups: lexical, by: 'words' };
    }
  }

  private params(from: Date, scope: InsightsScope): [string, string | null] {
    // The owner ids of an installation's users begin so (see history/owner.ts).
    const prefix = scope.kind === 'installation' ? `forge:${scope.installationId}:` : null;
    return [from.toISOString(), prefix];
  }
}

/** The period: today (UTC) and the `days - 1` whole days before it. */
function periodStart(to: Date, days: number): Date {
  const today = Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), to.getUTCDate());
  return new Date(today - (days - 1) * DAY_MS);
}

/** A row for every day of the period, oldest first: a chart's quiet days are zeros, not gaps. */
function everyDay(
  from: Date,
  to: Date,
  rows: { day: string; questions: string; unanswered: string; up: string; down: string }[],
): InsightsDay[] {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const out: InsightsDay[] = [];
  for (let t = from.getTime(); t <= to.getTime(); t += DAY_MS) {
    const date = new Date(t).toISOString().slice(0, 10);
    const r = byDay.get(date);
    out.push({
      date,
      questions: int(r?.questions),
      unanswered: int(r?.unanswered),
      up: int(r?.up),
      down: int(r?.down),
    });
  }
  return out;
}
