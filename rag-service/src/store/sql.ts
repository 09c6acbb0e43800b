import type { SearchFilter } from './vector-store.js';

/** A SQL string literal: quotes doubled, so no value can end the literal early. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function inList(column: string, values: readonly string[], negate = false): string {
  return `${column} ${negate ? 'NOT IN' : 'IN'} (${values.map(literal).join(', ')})`;
}

/** The filter as a LanceDB `where` predicate, or undefined when nothing is filtered. */
export function filterPredicate(filter: SearchFilter | undefined): string | undefined {
  if (!filter) return undefined;
  const parts: string[] = [];
  if (filter.sources?.length) parts.push(inList('source', filter.sources));
  if (filter.spaceKeys?.length) parts.push(inList('spaceKey', filter.spaceKeys));
  if (filter.docIds) parts.push(filter.docIds.length ? inList('docId', filter.docIds) : 'false');
  if (filter.excludeDocIds?.length) parts.push(inList('docId', filter.excludeDocIds, true));
  if (filter.confluenceSpaces) {
    const other = `source <> ${literal('confluence')}`;
    parts.push(
      filter.confluenceSpaces.length ? `(${other} OR ${inList('spaceKey', filter.confluenceSpaces)})` : other,
    );
  }
  return parts.length ? parts.join(' AND ') : undefined;
}
