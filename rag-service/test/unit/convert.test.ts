import { convertHtml } from '../../src/ingest/convert/html.js';
import { convertMarkdown, plainInline } from '../../src/ingest/convert/markdown.js';
import { convertPdf } from '../../src/ingest/convert/pdf.js';
import { convertPlainText } from '../../src/ingest/convert/plain-text.js';
import type { Block } from '../../src/ingest/structured.js';
import { makePdf } from '../helpers/pdf.js';

const texts = (blocks: Block[]) => blocks.filter((b) => b.kind === 'text').map((b) => b.text);
const headings = (blocks: Block[]) =>
  blocks.flatMap((b) => (b.kind === 'heading' ? [[b.level, b.text, b.anchor]] : []));

describe('Markdown', () => {
  const md = [
    '---',
    'title: Front matter title',
    '---',
    '# Main title',
    '',
    'A paragraph that is',
    'hard-wrapped with a [link](https://x.test) and **bold** text.',
    '',
    '## Install & run',
    '',
    '```bash',
    'pnpm install',
    '```',
    '',
    '| Variable | Default |',
    '| --- | --- |',
    '| PORT | 8080 |',
    '',
    '- one',
    '  - nested',
    '- [x] done task',
    '',
    '> quoted advice',
  ].join('\n');
  const doc = convertMarkdown(md, 'fallback');

  it('keeps headings with GitHub anchors and the front matter title', () => {
    expect(doc.title).toBe('Front matter title');
    expect(headings(doc.blocks)).toEqual([
      [1, 'Main title', 'main-title'],
      [2, 'Install & run', 'install--run'],
    ]);
  });

  it('joins soft-wrapped lines and strips inline marks', () => {
    expect(texts(doc.blocks)[0]).toBe('A paragraph that is hard-wrapped with a link and bold text.');
  });

  it('keeps code fenced with its language, tables with headers per row, nested lists and quotes', () => {
    const t = texts(doc.blocks);
    expect(t).toContain('```bash\npnpm install\n```');
    expect(t).toContain('Variable: PORT; Default: 8080');
    expect(t).toContain('- one\n  - nested\n- [x] done task');
    expect(t).toContain('quoted advice');
  });

  it('falls back to the first H1, then to the file name, for the title', () => {
    expect(convertMarkdown('# Only H1\ntext', 'f').title).toBe('Only H1');
    expect(convertMarkdown('just text', 'file name').title).toBe('file name');
  });

  it('decodes entities in inline text', () => {
    expect(plainInline('a &amp; b &lt;c&gt; `code`')).toBe('a & b <c> code');
  });
});

describe('HTML', () => {
  const html = `<!doctype html><html><head><title>Page title</title><style>p{}</style></head><body>
    <nav>Menu Home About</nav>
    <h1 id="top">Heading One</h1><p>First <b>para</b><br>second line</p>
    <h2>Sub heading</h2>
    <pre><code class="language-sql">SELECT 1;</code></pre>
    <table><tr><th>Name</th><th>Value</th></tr><tr><td>a</td><td>1</td></tr></table>
    <ul><li>x<ul><li>y</li></ul></li></ul>
    <div>Loose <img alt="diagram"> text</div><script>alert(1)</script></body></html>`;
  const doc = convertHtml(html, 'f');

  it('uses <title>, keeps heading ids, and slugs headings without one', () => {
    expect(doc.title).toBe('Page title');
    expect(headings(doc.blocks)).toEqual([
      [1, 'Heading One', 'top'],
      [2, 'Sub heading', 'sub-heading'],
    ]);
  });

  it('keeps paragraphs, code, tables, lists and image alt text; drops nav and scripts', () => {
    const t = texts(doc.blocks);
    expect(t).toContain('First para\nsecond line');
    expect(t).toContain('```sql\nSELECT 1;\n```');
    expect(t).toContain('Name: a; Value: 1');
    expect(t).toContain('- x\n  - y');
    expect(t).toContain('Loose diagram text');
    expect(t.join(' ')).not.toMatch(/alert|Menu/);
  });
});

describe('HTML whitespace', () => {
  it('reads source line breaks as spaces, as a browser shows them, and keeps <pre> byte for byte', () => {
    const doc = convertHtml(
      `<p>A paragraph wrapped
        by hand in the source.</p>
      <ol><li>
        Install the CLI and log in with
        <code>forge login</code>.
      </li></ol>
      <pre><code>steps:
  - run: make
      indented: yes</code></pre>`,
      'f',
    );
    expect(texts(doc.blocks)).toEqual([
      'A paragraph wrapped by hand in the source.',
      '1. Install the CLI and log in with forge login.',
      '```\nsteps:\n  - run: make\n      indented: yes\n```',
    ]);
  });
});

describe('plain text', () => {
  it('splits paragraphs at blank lines', () => {
    const doc = convertPlainText('\uFEFFone\nstill one\r\n\r\ntwo', 'notes');
    expect(doc).toEqual({
      title: 'notes',
      blocks: [
        { kind: 'text', text: 'one\nstill one' },
        { kind: 'text', text: 'two' },
      ],
    });
  });
});

describe('PDF', () => {
  it('extracts text page by page, with page anchors and the document title', async () => {
    const pdf = makePdf(
      [['Rotate the API token monthly.'], ['Backups run nightly (at 2 am).']],
      'Ops handbook',
    );
    const doc = await convertPdf(pdf, 'fallback');
    expect(doc.title).toBe('Ops handbook');
    expect(headings(doc.blocks)).toEqual([
      [2, 'Page 1', 'page=1'],
      [2, 'Page 2', 'page=2'],
    ]);
    expect(texts(doc.blocks)).toEqual(['Rotate the API token monthly.', 'Backups run nightly (at 2 am).']);
  });

  it('rejects a broken PDF', async () => {
    await expect(convertPdf(Buffer.from('%PDF-1.4\ngarbage'), 'x')).rejects.toThrow();
  });
});

describe('titleFromFileName', () => {
  it('makes a readable title of a file name', async () => {
    const { titleFromFileName } = await import('../../src/ingest/convert/index.js');
    expect(titleFromFileName('guides/release_notes-2024.md')).toBe('Release notes 2024');
    expect(titleFromFileName('.md')).toBe('.md');
  });
});

describe('plain text: titles and sections', () => {
  it('uses Markdown-style headings as sections, and the first as the title', () => {
    const doc = convertPlainText(
      '# Release checklist\n\nTag the build.\n\n## Rollback\nRevert the tag.\nPage the on-call.',
      'master',
    );
    expect(doc).toEqual({
      title: 'Release checklist',
      blocks: [
        { kind: 'heading', level: 1, text: 'Release checklist' },
        { kind: 'text', text: 'Tag the build.' },
        { kind: 'heading', level: 2, text: 'Rollback' },
        { kind: 'text', text: 'Revert the tag.\nPage the on-call.' },
      ],
    });
  });

  it('reads underlined headings (=== and ---)', () => {
    const doc = convertPlainText(
      'Network setup\n=============\n\nOpen port 443.\n\nFirewall\n--------\nAllow the VPN range.',
      'master',
    );
    expect(doc.title).toBe('Network setup');
    expect(doc.blocks.filter((b) => b.kind === 'heading')).toEqual([
      { kind: 'heading', level: 1, text: 'Network setup' },
      { kind: 'heading', level: 2, text: 'Firewall' },
    ]);
  });

  it('titles a file without headings by a first line that reads as one, else by its name', () => {
    expect(convertPlainText('Printer troubleshooting\n\nTurn it off and on.', 'master').title).toBe(
      'Printer troubleshooting',
    );
    // A sentence, a long line, or a first paragraph of several lines is text, not a title.
    expect(convertPlainText('Turn it off and on.\n\nThen call us.', 'master').title).toBe('master');
    expect(convertPlainText(`${'word '.repeat(20)}\n\nmore`, 'master').title).toBe('master');
    expect(convertPlainText('one\nstill one\n\ntwo', 'master').title).toBe('master');
    expect(convertPlainText('Only line', 'master').title).toBe('master');
  });
});
