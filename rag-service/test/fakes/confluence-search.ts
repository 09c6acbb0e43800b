import type { TestContent, TestSpace } from './confluence-server.js';

/** The content ids of a CQL `id in (…)` query (ids bare or quoted), or undefined for any other CQL. */
export function idsOfCql(cql: string): string[] | undefined {
  const m = /^\s*id\s+in\s*\(([^)]*)\)\s*$/i.exec(cql);
  if (!m) return undefined;
  const ids = m[1]!.split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
  return ids.every((id) => /^\d+$/.test(id)) ? ids : undefined;
}

/** One CQL search result as Confluence's v1 `/wiki/rest/api/search` returns it for a page or blog post. */
export function searchResult(c: TestContent, space: TestSpace): Record<string, unknown> {
  const webui = `/spaces/${space.key}/${c.kind === 'page' ? 'pages' : 'blog'}/${c.id}`;
  return {
    content: {
      id: c.id,
      type: c.kind,
      status: 'current',
      title: c.title,
      childTypes: {},
      macroRenderedOutput: {},
      restrictions: {},
      _expandable: { container: '', space: `/rest/api/space/${space.key}`, version: '', history: '' },
      _links: { webui, self: `/wiki/rest/api/content/${c.id}`, tinyui: '/x/test' },
    },
    title: c.title,
    excerpt: '',
    url: webui,
    resultGlobalContainer: { title: space.name, displayUrl: `/spaces/${space.key}` },
    breadcrumbs: [],
    entityType: 'content',
    iconCssClass: c.kind === 'page' ? 'aui-icon content-type-page' : 'aui-icon content-type-blogpost',
    lastModified: '2026-01-02T00:00:00.000Z',
    friendlyLastModified: 'Jan 02, 2026',
    score: 1,
  };
}
