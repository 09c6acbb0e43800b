import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertStorage, type StorageContext } from '../../src/ingest/convert/confluence-storage.js';
import type { StructuredDocument } from '../../src/ingest/structured.js';

const FIXTURES = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'confluence-storage',
);
const read = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const text = (doc: StructuredDocument) => doc.blocks.map((b) => b.text).join('\n');
const convert = (name: string, where?: StorageContext) => text(convertStorage(read(name), 'Page', where));
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

/**
 * What the current Confluence Cloud editor writes (storage format as its documentation and the editor's
 * ADF extension form give it): captions, its panels, code under list steps and in table cells, links and
 * attachments. Each fixture holds one of them.
 */
describe('Confluence editor output → text that keeps what the page said', () => {
  it('labels an image by its caption, not the screenshot file name the editor puts in alt', () => {
    const out = convert('image-captions.storage.xml');
    expect(out).toContain('[image: The Reindex button sits above the job list]');
    expect(out).not.toContain('Screenshot 2024-08-04');
    // Alt text a person wrote is kept; an alt that is only a file name leaves the file's name.
    expect(out).toContain('[image: Job list showing a running sync with its progress bar]');
    expect(out).toContain('[image: image-20240804-174812.png]');
  });

  it('renders each of the editor’s panels once, with the label the reader sees', () => {
    const out = convert('adf-panels.storage.xml');
    expect(out).toContain('Note: Reindexing reads every page again.');
    expect(out).toContain('Info: It runs in the background.');
    expect(out).toContain('Warning: Answers may be stale until it ends.');
    expect(out).toContain('Error: Never delete the data folder while it runs.');
    expect(out).toContain('Success: The job list shows succeeded when it is done.');
    expect(out).toContain('Panel: Schedule it with REINDEX_CRON.\n- Hourly is usual.');
    // The fallback copy is the same content: never emitted beside the panel, never glued to its type.
    for (const body of ['Reindexing reads every page again.', 'Hourly is usual.'])
      expect(count(out, body)).toBe(1);
    expect(out).not.toMatch(/(note|info|warning|error|success|custom)[A-Z]/);
  });

  it('keeps code under a list step and in a table cell verbatim, on lines of its own', () => {
    const out = convert('nested-code.storage.xml');
    const source = read('nested-code.storage.xml');
    const bodies = [...source.matchAll(/<!\[CDATA\[([\s\S]*?)\]\]>/g)].map((m) => m[1]!);
    expect(bodies).toHaveLength(3);
    const [yaml, bash, cell] = bodies;
    // Byte for byte, indentation included, the fence opening a line of its own.
    expect(out).toContain(
      `1. Write the configuration:\n\`\`\`yaml\n${yaml}\n\`\`\`\nThen save it as compose.yml.`,
    );
    expect(out).toContain(`2. Start it:\n\`\`\`bash\n${bash}\n\`\`\``);
    expect(out).toContain(`Step: Check; Command:\n\`\`\`bash\n${cell}\n\`\`\``);
    expect(out).toContain('\n    environment:\n      - HISTORY=on\n');
  });

  it('keeps where links go, and names attachments', () => {
    const where = { wikiBase: 'https://x.atlassian.net/wiki', spaceKey: 'DOCS', pageId: '123' };
    const out = convert('links-attachments.storage.xml', where);
    expect(out).toContain(
      '[REST API reference](https://developer.atlassian.com/cloud/confluence/rest/v2/intro/)',
    );
    expect(out).toContain('and https://status.atlassian.com/ for outages');
    expect(out).toContain('[the team](mailto:kb-team@example.com)');
    expect(out).toContain(
      'The [deploy guide](https://x.atlassian.net/wiki/display/ENG/Deploy+guide) has the details.',
    );
    expect(out).toContain(
      '[attachment: runbook-2024.pdf](https://x.atlassian.net/wiki/download/attachments/123/runbook-2024.pdf)',
    );
    expect(out).toContain('Slides: [attachment: kickoff.pptx](');
    // Without the site, the names stay: text, never a made-up URL.
    const bare = convert('links-attachments.storage.xml');
    expect(bare).toContain('The deploy guide has the details.');
    expect(bare).toContain('[attachment: runbook-2024.pdf]');
    expect(bare).not.toContain('/wiki/');
  });
});
