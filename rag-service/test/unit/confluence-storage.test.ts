import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { convertStorage } from '../../src/ingest/convert/confluence-storage.js';
import { convertMarkdown } from '../../src/ingest/convert/markdown.js';
import type { StructuredDocument } from '../../src/ingest/structured.js';
import { SHARED_DIR } from '../helpers/shared.js';

const STORAGE = path.join(SHARED_DIR, 'fixtures', 'confluence-storage');
const API = path.join(SHARED_DIR, 'fixtures', 'confluence-api');
const text = (doc: StructuredDocument) => doc.blocks.map((b) => b.text).join('\n');
const flat = (s: string) => s.replace(/\s+/g, ' ').trim();

interface Fixture {
  name: string;
  storage: string;
  markdown?: string;
}

const fixtures: Fixture[] = ['mark', 'md2conf'].flatMap((dir) =>
  readdirSync(path.join(STORAGE, dir))
    .filter((f) => /\.storage\.(html|xml)$/.test(f))
    .map((f) => {
      const md = path.join(STORAGE, dir, f.replace(/\.storage\.(html|xml)$/, '.md'));
      return {
        name: `${dir}/${f}`,
        storage: readFileSync(path.join(STORAGE, dir, f), 'utf8'),
        markdown: existsSync(md) ? readFileSync(md, 'utf8') : undefined,
      };
    }),
);

/** Words of the Markdown each fixture was made from, without link targets and comments. */
function sourceWords(markdown: string): Set<string> {
  const visible = text(
    convertMarkdown(markdown.replace(/<!--[\s\S]*?-->/g, '').replace(/\]\([^)]*\)/g, ']'), 'T'),
  );
  return new Set(
    (visible.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []).filter(
      (w) => !/^(https?|www|com|png|jpg|svg)$/.test(w),
    ),
  );
}

/** By design some source words do not survive: TOC listings are dropped; a macro's raw XML is not content. */
const BY_DESIGN = new Set([
  'md2conf/toc.storage.xml',
  'md2conf/macro.storage.xml',
  'mark/macro-include.storage.html',
]);

describe('Confluence storage format → structured text, on every shared fixture', () => {
  it('has the fixtures (28 mark + md2conf pairs, panel alone)', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(28);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s keeps the text of its source', (_name, fixture) => {
    const out = convertStorage(fixture.storage, 'Page');
    expect(out.blocks.length).toBeGreaterThan(0);
    if (!fixture.markdown || BY_DESIGN.has(fixture.name)) return;
    const produced = new Set(
      text(out)
        .toLowerCase()
        .match(/[\p{L}\p{N}]{3,}/gu) ?? [],
    );
    const words = sourceWords(fixture.markdown);
    const missing = [...words].filter((w) => !produced.has(w));
    const recall = 1 - missing.length / words.size;
    // At least 90% of the source's words survive; on failure the diff names the words that were lost.
    expect(recall >= 0.9 ? [] : missing).toEqual([]);
  });

  it.each(fixtures.filter((f) => f.markdown && /```/.test(f.markdown)).map((f) => [f.name, f] as const))(
    '%s keeps every code block verbatim, in a fence',
    (_name, fixture) => {
      const out = text(convertStorage(fixture.storage, 'Page'));
      for (const m of fixture.markdown!.matchAll(/^```([\w+-]*)[^\n]*\n([\s\S]*?)^```/gm)) {
        const code = m[2]!.replace(/\n$/, '');
        if (!code.trim() || /<ac:/.test(code)) continue;
        expect(flat(out)).toContain(flat(code));
      }
      expect(out).toMatch(/```/);
    },
  );

  it('code macro: language kept, CDATA intact (no entity or markup mangling)', () => {
    const out = text(
      convertStorage(readFileSync(path.join(STORAGE, 'md2conf/code.storage.xml'), 'utf8'), 'Page'),
    );
    expect(out).toContain('```py\ndef func(n: int) -> str:\n    return str(n)\n```');
    expect(out).toContain('```java\nclass Simple {');
    expect(out).toContain('```\nfunc:\n    preformatted text\n```');
    const cdata = convertStorage(
      '<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">sql</ac:parameter><ac:plain-text-body><![CDATA[SELECT * FROM t WHERE a < 3 AND b <> \'&amp;\';]]></ac:plain-text-body></ac:structured-macro>',
      'P',
    );
    expect(text(cdata)).toBe("```sql\nSELECT * FROM t WHERE a < 3 AND b <> '&amp;';\n```");
  });

  it('tables keep their header with every row', () => {
    const out = text(
      convertStorage(readFileSync(path.join(STORAGE, 'md2conf/table.storage.xml'), 'utf8'), 'Page'),
    );
    expect(out).toContain('Arabic: 1; Roman: I');
    expect(out).toContain('Arabic: 100; Roman: C');
    const mark = text(
      convertStorage(readFileSync(path.join(STORAGE, 'mark/table.storage.html'), 'utf8'), 'Page'),
    );
    expect(mark).toMatch(/\w+: \w+; \w+: \w+/);
  });

  it('callouts and panels are labelled blocks with their text', () => {
    const admonitions = text(
      convertStorage(readFileSync(path.join(STORAGE, 'mark/admonitions.storage.html'), 'utf8'), 'Page'),
    );
    // Labelled as Confluence Cloud shows them: a Warning macro is a red Error panel, a Note a yellow
    // Warning panel, a Tip a green Success panel.
    expect(admonitions).toContain('Error: Warn\n- Warn bullet 1\n- Warn bullet 2');
    expect(admonitions).toContain('Warning: NOTES:');
    expect(admonitions).toContain('Info: Test');
    expect(admonitions).toMatch(/Success: TIP:/);
    expect(admonitions).not.toMatch(/^(Note|Tip):/m);
    const panel = text(
      convertStorage(readFileSync(path.join(STORAGE, 'md2conf/panel.storage.xml'), 'utf8'), 'Page'),
    );
    expect(panel).toContain('Panel: Info\nThis is an information panel.');
  });

  it('expand, status, tasks, links, images, layouts; TOC and children dropped', () => {
    const read = (f: string) => text(convertStorage(readFileSync(path.join(STORAGE, f), 'utf8'), 'Page'));
    expect(read('md2conf/collapsed.storage.xml')).toContain(
      'Tips for collapsed sections:\nYou can add text within a collapsed section.',
    );
    expect(read('md2conf/status.storage.xml')).toContain('- [purple]');
    expect(read('mark/tasklists.storage.html')).toContain(
      '- [x] #739\n- [ ] https://github.com/octo-org/octo-repo/issues/740',
    );
    const links = read('mark/links.storage.html');
    expect(links).toContain('Use page link with spaces');
    expect(links).toContain('[image: My Image]');
    expect(read('mark/pagelayout.storage.html')).toBe(
      'More Content\nMore Content\nEven More Content\nStill More Content',
    );
    const toc = convertStorage(readFileSync(path.join(STORAGE, 'md2conf/toc.storage.xml'), 'utf8'), 'Page');
    expect(text(toc)).not.toMatch(/toc|children/i);
  });

  it('mentions, dates, Jira keys and entities', () => {
    const doc = convertStorage(
      '<p>Ask <ac:link><ri:user ri:account-id="5b10a2844c20165700ede21g" /></ac:link> before <time datetime="2024-05-01" />; see ' +
        '<ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">SUP-7</ac:parameter></ac:structured-macro>&nbsp;&mdash; done.</p>',
      'P',
    );
    expect(text(doc)).toBe('Ask @5b10a2844c20165700ede21g before 2024-05-01; see SUP-7 — done.');
  });

  it.each(['544381877', '1844969501'])('converts the real page %s (API response, storage body)', (id) => {
    const page = JSON.parse(readFileSync(path.join(API, `${id}.page.v1.json`), 'utf8')) as {
      title: string;
      body: { storage: { value: string } };
    };
    const doc = convertStorage(page.body.storage.value, page.title);
    expect(doc.title).toBe(page.title);
    expect(doc.blocks.some((b) => b.kind === 'heading')).toBe(true);
    const out = text(doc);
    expect(out.length).toBeGreaterThan(200);
    expect(out).not.toMatch(/<\/?(p|ac:|ri:)/);
    if (id === '544381877') {
      expect(out).toContain('Administrator > Kubernetes > Connection Management > Clusters');
      expect(out).toContain('[image: image-20240721-054859.png]');
    }
  });
});
