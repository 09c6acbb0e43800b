import { qdrantFilter, staleChunksFilter } from '../../src/store/qdrant-filter.js';

/**
 * The store filter as Qdrant applies it inside the search. The conformance suite shows the filters work
 * against the test server; this pins their shape, including "no filter at all" where nothing narrows.
 */
describe('the Qdrant filter', () => {
  const confluence = { key: 'source', match: { value: 'confluence' } };

  it('is no filter at all when nothing narrows the search', () => {
    expect(qdrantFilter(undefined)).toBeUndefined();
    expect(qdrantFilter({})).toBeUndefined();
    expect(qdrantFilter({ sources: [], spaceKeys: [], docIds: [], excludeDocIds: [] })).toBeUndefined();
  });

  it('requires any of the listed values for each narrowing, and excludes documents with must_not', () => {
    expect(qdrantFilter({ sources: ['files'] })).toEqual({
      must: [{ key: 'source', match: { any: ['files'] } }],
    });
    expect(qdrantFilter({ excludeDocIds: ['d1'] })).toEqual({
      must_not: [{ key: 'docId', match: { any: ['d1'] } }],
    });
    expect(
      qdrantFilter({
        sources: ['files', 'confluence'],
        spaceKeys: ['ENG'],
        docIds: ['d1', 'd2'],
        excludeDocIds: ['d3'],
      }),
    ).toEqual({
      must: [
        { key: 'source', match: { any: ['files', 'confluence'] } },
        { key: 'spaceKey', match: { any: ['ENG'] } },
        { key: 'docId', match: { any: ['d1', 'd2'] } },
      ],
      must_not: [{ key: 'docId', match: { any: ['d3'] } }],
    });
  });

  it('keeps Confluence content to the allowed spaces, other sources untouched, and none when no space is', () => {
    expect(qdrantFilter({ confluenceSpaces: ['ENG', 'OPS'] })).toEqual({
      must: [{ should: [{ must_not: [confluence] }, { key: 'spaceKey', match: { any: ['ENG', 'OPS'] } }] }],
    });
    expect(qdrantFilter({ confluenceSpaces: [] })).toEqual({ must_not: [confluence] });
    expect(qdrantFilter({ excludeDocIds: ['d3'], confluenceSpaces: [] })).toEqual({
      must_not: [{ key: 'docId', match: { any: ['d3'] } }, confluence],
    });
  });

  it('finds the chunks a shorter new version of each document leaves behind', () => {
    expect(staleChunksFilter([{ id: 'd1', chunks: 3 }])).toEqual({
      should: [
        {
          must: [
            { key: 'docId', match: { value: 'd1' } },
            { key: 'ordinal', range: { gte: 3 } },
          ],
        },
      ],
    });
  });
});
