import { rankedPhrasings, type GapGroup } from './content-gaps.js';

/**
 * Lexical groups compared by meaning at most: the biggest, then the most recently asked. Comparing is
 * groups × clusters × dimensions; 300 keeps a request's share well under a second at 3,072 dimensions,
 * and the groups past it are the long tail of questions asked once.
 */
export const MEANING_GROUPS_MAX = 300;

/** Vectors for texts, one each, in order (see PhrasingVectors). */
export type EmbedTexts = (texts: string[]) => Promise<Float32Array[]>;

function unit(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum) || 1;
  return v.map((x) => x / norm);
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

interface Cluster {
  /** The members' unit vectors, each weighed by how often its group was asked. */
  sum: Float32Array;
  norm: number;
  members: GapGroup[];
}

function merged(members: readonly GapGroup[]): GapGroup {
  if (members.length === 1) return members[0]!;
  const out: GapGroup = { phrasings: new Map(), count: 0, unanswered: 0, ratedDown: 0, lastAskedAt: '' };
  for (const g of members) {
    // A folded phrasing belongs to one lexical group only, so the maps never collide.
    for (const [key, p] of g.phrasings) out.phrasings.set(key, p);
    out.count += g.count;
    out.unanswered += g.unanswered;
    out.ratedDown += g.ratedDown;
    if (g.lastAskedAt > out.lastAskedAt) out.lastAskedAt = g.lastAskedAt;
  }
  return out;
}

/** Biggest first, then most recent, then by representative phrasing: the same order for the same data. */
function byWeight(a: GapGroup, b: GapGroup): number {
  if (a.count !== b.count) return b.count - a.count;
  if (a.lastAskedAt !== b.lastAskedAt) return a.lastAskedAt < b.lastAskedAt ? 1 : -1;
  const ka = rankedPhrasings(a)[0]![0];
  const kb = rankedPhrasings(b)[0]![0];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Joins lexical groups that ask the same thing in other words ("How do I log in with Okta?", "SSO
 * setup"): each group's representative phrasing is embedded, and a group joins the closest cluster whose
 * mean direction it reaches `sameTopic` cosine with, biggest groups first so the common phrasing seeds
 * its cluster. Deterministic for the same groups and vectors.
 */
export async function mergeByMeaning(
  groups: readonly GapGroup[],
  embed: EmbedTexts,
  sameTopic: number,
): Promise<GapGroup[]> {
  const ordered = [...groups].sort(byWeight);
  const head = ordered.slice(0, MEANING_GROUPS_MAX);
  const tail = ordered.slice(MEANING_GROUPS_MAX);
  if (head.length < 2) return ordered;
  const vectors = (await embed(head.map((g) => rankedPhrasings(g)[0]![1].text))).map(unit);
  const clusters: Cluster[] = [];
  head.forEach((group, i) => {
    const v = vectors[i]!;
    let best: Cluster | undefined;
    let bestScore = sameTopic;
    for (const c of clusters) {
      const score = dot(v, c.sum) / (c.norm || 1);
      if (score >= bestScore) {
        best = c;
        bestScore = score;
      }
    }
    const cluster = best ?? { sum: new Float32Array(v.length), norm: 0, members: [] };
    if (!best) clusters.push(cluster);
    cluster.members.push(group);
    for (let d = 0; d < v.length; d++) cluster.sum[d]! += v[d]! * group.count;
    cluster.norm = Math.sqrt(dot(cluster.sum, cluster.sum));
  });
  return [...clusters.map((c) => merged(c.members)), ...tail];
}
