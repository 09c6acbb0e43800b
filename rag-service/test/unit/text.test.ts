import { analyze, jaccard, nameTerms, termCoverage, uniqueTerms } from '../../src/text/analyzer.js';
import { reciprocalRankFusion } from '../../src/retrieval/fusion.js';
import { diversify } from '../../src/retrieval/retriever.js';
import { slugify } from '../../src/text/slug.js';

describe('analyzer', () => {
  it('tells the words a question writes as names: capitalised inside a sentence, all capitals, with digits', () => {
    expect([...nameTerms('Does it support Slack? Sync with SSO and S3, or with notion.')]).toEqual([
      'slack',
      'sso',
      's3',
    ]);
    // All capitals, or letters with digits, are names even where a sentence starts or in lower case.
    expect([...nameTerms('SSO login?')]).toEqual(['sso']);
    expect([...nameTerms('supports s3?')]).toEqual(['s3']);
    // The first word of a sentence (or after a colon) is capitalised anyway.
    expect([...nameTerms('Slack: Confluence pages. Upload them to Jira.')]).toEqual(['jira']);
  });

  it('tells a sentence start across any run of spaces and punctuation between two words', () => {
    // What comes before a word is looked at only back to the word before (it was all the text, each time).
    expect([...nameTerms(`Slack:${' '.repeat(10_000)}Confluence and${'\n'.repeat(10_000)}Jira`)]).toEqual([
      'jira',
    ]);
    expect([...nameTerms(`${'. '.repeat(5_000)}Slack and ${'. '.repeat(5_000)}x Jira`)]).toEqual(['jira']);
    expect([...nameTerms(`${' '.repeat(1_000)}Slack`)]).toEqual([]);
  });

  it('lower-cases, drops stop words and question filler, stems', () => {
    expect(analyze('How do I rotate the API tokens?')).toEqual(['rotat', 'api', 'token']);
    expect(analyze("Reindexing the knowledge base's indexes")).toEqual([
      'reindex',
      'knowledg',
      'base',
      'index',
    ]);
  });

  it('keeps numbers and non-English letters', () => {
    expect(analyze('Port 8080 für Übersicht')).toEqual(['port', '8080', 'für', 'übersicht']);
  });

  it('analyses a word alike the first time and every later time, past its memory of words', () => {
    const text = "The operator's reindexing of Confluence’s spaces";
    const first = analyze(text);
    expect(first).toEqual(['oper', 'reindex', 'confluenc', 'space']);
    // More distinct words than the analyzer remembers: it forgets them all, then learns them again.
    for (let i = 0; i < 100_001; i++) analyze(`w${i.toString(36)}x`);
    expect(analyze(text)).toEqual(first);
    expect(analyze(text)).toEqual(first);
    // A token past 40 characters (a hash, base64) is no term, the first time or later.
    for (let i = 0; i < 2; i++) expect(analyze(`${'ab'.repeat(21)} token`)).toEqual(['token']);
  });

  it('measures coverage and overlap', () => {
    const q = uniqueTerms('rotate api token');
    expect(termCoverage(q, uniqueTerms('Rotating an API key'))).toBeCloseTo(2 / 3);
    expect(termCoverage(new Set(), q)).toBe(0);
    expect(jaccard(q, q)).toBe(1);
  });
});

describe('reciprocal rank fusion', () => {
  it('rewards items ranked well in both lists', () => {
    const fused = [
      ...reciprocalRankFusion([
        ['a', 'b', 'c'],
        ['d', 'b', 'e'],
      ]).keys(),
    ];
    expect(fused[0]).toBe('b');
    expect(fused).toHaveLength(5);
  });
});

describe('diversify', () => {
  it('caps items per group, then fills up from the rest', () => {
    const items = ['a1', 'a2', 'a3', 'b1', 'a4'];
    expect(diversify(items, 4, 2, (s) => s[0]!)).toEqual(['a1', 'a2', 'b1', 'a3']);
  });

  it('reads no further than it needs to', () => {
    const read: string[] = [];
    function* items() {
      for (const item of ['a1', 'b1', 'a2', 'c1', 'a3']) {
        read.push(item);
        yield item;
      }
    }
    expect(diversify(items(), 3, 2, (s) => s[0]!)).toEqual(['a1', 'b1', 'a2']);
    expect(read).toEqual(['a1', 'b1', 'a2']);
    expect(diversify(items(), 0, 2, (s) => s[0]!)).toEqual([]);
  });
});

describe('slugify', () => {
  it('matches GitHub heading anchors', () => {
    expect(slugify('Install & Run (v2)!')).toBe('install--run-v2');
  });
});
