import type { Schemas } from '@qdrant/js-client-rest';
import type { SearchFilter } from './vector-store.js';

type Filter = Schemas['Filter'];
type Condition = Schemas['Condition'];

const any = (key: string, values: readonly string[]): Condition => ({ key, match: { any: [...values] } });

/** The store filter as a Qdrant filter (applied inside the search, before ranking), or undefined. */
export function qdrantFilter(filter: SearchFilter | undefined): Filter | undefined {
  if (!filter) return undefined;
  const must: Condition[] = [];
  if (filter.sources?.length) must.push(any('source', filter.sources));
  if (filter.spaceKeys?.length) must.push(any('spaceKey', filter.spaceKeys));
  if (filter.docIds?.length) must.push(any('docId', filter.docIds));
  const mustNot = filter.excludeDocIds?.length ? [any('docId', filter.excludeDocIds)] : [];
  const confluence: Condition = { key: 'source', match: { value: 'confluence' } };
  if (filter.confluenceSpaces?.length) {
    must.push({ should: [{ must_not: [confluence] }, any('spaceKey', filter.confluenceSpaces)] });
  } else if (filter.confluenceSpaces) mustNot.push(confluence);
  if (!must.length && !mustNot.length) return undefined;
  return { ...(must.length ? { must } : {}), ...(mustNot.length ? { must_not: mustNot } : {}) };
}

/** Chunks of each document at or past its new chunk count: what is left of a longer old version. */
export function staleChunksFilter(docs: readonly { id: string; chunks: number }[]): Filter {
  return {
    should: docs.map((d) => ({
      must: [
        { key: 'docId', match: { value: d.id } },
        { key: 'ordinal', range: { gte: d.chunks } },
      ],
    })),
  };
}
