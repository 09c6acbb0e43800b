import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { useTestService } from '../helpers/service.js';

const RUNBOOK = [
  '# Failover runbook',
  '',
  '## Before you start',
  '',
  'Tell the on-call channel that a failover begins.',
  '',
  '## Promote the replica',
  '',
  'Run `pg_ctl promote` on the replica, then repoint the service DNS name at it (see [1] in the DNS guide).',
  '',
].join('\n');

async function askInPage(page: Page, question: string) {
  await page.fill('#question', question);
  await page.press('#question', 'Enter');
}

/** Console errors and uncaught exceptions, without the conversation list's 404 (no history here). */
function watchErrors(page: Page, expected: RegExp = /status of 404/): string[] {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && !expected.test(m.text()) && errors.push(m.text()));
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

/** Drops files on the page as a desktop drag would: dragenter, dragover, then drop, with a DataTransfer. */
async function dropFiles(page: Page, files: { name: string; text: string }[]) {
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([f.text], f.name, { type: 'text/markdown' }));
    return dt;
  }, files);
  await page.dispatchEvent('#messages', 'dragenter', { dataTransfer });
  await page.dispatchEvent('#messages', 'dragover', { dataTransfer });
  expect(await page.isVisible('#drop-overlay')).toBe(true);
  await page.dispatchEvent('#messages', 'drop', { dataTransfer });
  expect(await page.isHidden('#drop-overlay')).toBe(true);
}

describe('the chat page: sources that open, documents added by drag and drop', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(() => browser.close());
  const t = useTestService();

  it('opens a cited file in a dialog at the cited section, and closes it with Escape', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${t.url}/`);
    await askInPage(page, 'How do I reindex the knowledge base?');
    const source = page.locator('.message.assistant:not(.pending) .sources li').first();
    await source.waitFor();
    const opener = source.locator('button.open-source');
    const title = await opener.innerText();
    const snippet = (await source.locator('.snippet').innerText()).replace(/…$/, '').slice(0, 60);
    await opener.click();

    const dialog = page.getByRole('dialog');
    const cited = dialog.locator('.document-section.cited-section');
    await cited.waitFor();
    // The dialog names the document the source came from, and its section holds the cited passage.
    expect(title.startsWith(await page.locator('#document-title').innerText())).toBe(true);
    expect(await page.locator('#document-location').innerText()).toMatch(/\.md$/);
    const flat = (s: string) => s.replace(/\s+/g, ' ');
    expect(flat(await cited.innerText())).toContain(flat(snippet).replace(/[*`#]/g, '').slice(0, 30));
    expect(await dialog.locator('.document-section.cited-section').count()).toBe(1);
    expect(await cited.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await dialog.locator('.document-section').count()).toBeGreaterThan(1);

    // The headings it sits under are in view too: they say which section was cited.
    const heading = cited.locator('xpath=preceding-sibling::*[1]');
    expect(await heading.evaluate((el) => el.tagName)).toMatch(/^H[3-6]$/);
    const [box, body] = [await heading.boundingBox(), await page.locator('#document-body').boundingBox()];
    expect(box!.y).toBeGreaterThanOrEqual(body!.y - 1);
    expect(box!.y).toBeLessThan(body!.y + body!.height);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // Focus returns to the source it was opened from, so the keyboard carries on from there.
    expect(await opener.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('adds a dropped file to the knowledge base, then answers from it and opens it', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${t.url}/`);
    await dropFiles(page, [{ name: 'failover.md', text: RUNBOOK }]);
    const status = page.locator('#upload-status');
    await page.waitForFunction(() =>
      /^Added/.test(document.getElementById('upload-status')?.textContent ?? ''),
    );
    expect(await status.innerText()).toMatch(/^Added Failover runbook \(\d+ passages?\): ask about it\.$/);
    expect(await status.getAttribute('role')).toBe('status');

    await askInPage(page, 'How do I promote the replica during a failover?');
    const opener = page
      .locator('.message.assistant:not(.pending) .sources button.open-source')
      .filter({ hasText: 'Failover runbook' })
      .first();
    await opener.click();
    const cited = page.locator('#document-view .cited-section');
    await cited.waitFor();
    expect(await cited.innerText()).toContain('pg_ctl promote');
    // The document's own "[1]" is its text, not a citation of this page's sources.
    expect(await cited.innerText()).toContain('(see [1] in the DNS guide)');
    expect(await page.locator('#document-view sup.cite, #document-view a').count()).toBe(0);
    expect(await page.locator('#document-view h3').allInnerTexts()).toEqual([
      'Before you start',
      'Promote the replica',
    ]);
    await page.click('#document-close');
    await page.locator('#document-view').waitFor({ state: 'hidden' });

    // A new conversation starts without the last upload's news.
    await page.click('#new-chat');
    expect(await status.isHidden()).toBe(true);

    // The same file again is recognised, not indexed twice.
    await dropFiles(page, [{ name: 'failover.md', text: RUNBOOK }]);
    await page.waitForFunction(() =>
      /already/.test(document.getElementById('upload-status')?.textContent ?? ''),
    );
    expect(await status.innerText()).toBe('Failover runbook is already in the knowledge base, unchanged.');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('links a Confluence source to its page instead of opening it here', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    const url = 'https://example.atlassian.net/wiki/spaces/OPS/pages/77/Badges';
    await t.service.store.replaceDocuments([
      {
        record: {
          id: 'confluence:page:77',
          source: 'confluence',
          title: 'Badges',
          url,
          hash: 'h',
          chunks: 1,
          spaceKey: 'OPS',
          pageId: '77',
          indexedAt: new Date().toISOString(),
        },
        chunks: [
          {
            id: 'confluence:page:77#0',
            docId: 'confluence:page:77',
            ordinal: 0,
            source: 'confluence',
            title: 'Badges',
            headingPath: ['Badges'],
            url,
            text: 'The quokka badge opens the server room door.',
            spaceKey: 'OPS',
            pageId: '77',
          },
        ],
      },
    ]);
    await page.goto(`${t.url}/`);
    await askInPage(page, 'Which badge opens the server room door?');
    const source = page.locator('.message.assistant:not(.pending) .sources li').filter({ hasText: 'Badges' });
    await source.first().waitFor();
    const link = source.first().locator('a');
    expect(await link.getAttribute('href')).toBe(url);
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await source.first().locator('button.open-source').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('adds a file from the keyboard through Add document, and says plainly why one was refused', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page, /status of (404|400)/);
    await page.goto(`${t.url}/`);
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.press('#upload-button', 'Enter'),
    ]);
    await chooser.setFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('Badge office hours are nine to five.'),
    });
    await page.waitForFunction(() =>
      /^Added/.test(document.getElementById('upload-status')?.textContent ?? ''),
    );
    expect(await page.locator('#upload-status').innerText()).toBe('Added Notes (1 passage): ask about it.');
    expect(await page.locator('#upload-status.error').count()).toBe(0);

    await page.setInputFiles('#upload-file', {
      name: 'tool.exe',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03]),
    });
    const status = page.locator('#upload-status.error');
    await status.waitFor();
    expect(await status.innerText()).toMatch(/^tool\.exe was not added: .+/);
    expect(await status.innerText()).not.toMatch(/\bat \S+:\d+/);

    // Past the service's limit: refused in the page, without sending 10 MB for nothing.
    const uploads: string[] = [];
    page.on('request', (r) => r.url().endsWith('/api/v1/documents') && uploads.push(r.method()));
    await page.setInputFiles('#upload-file', {
      name: 'huge.md',
      mimeType: 'text/markdown',
      buffer: Buffer.alloc(10 * 1024 * 1024 + 1, 'a'),
    });
    await page.waitForFunction(() =>
      /too large/.test(document.getElementById('upload-status')?.textContent ?? ''),
    );
    expect(await status.innerText()).toBe('huge.md is too large: documents of up to 10 MB can be added.');
    expect(uploads).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('the chat page behind API keys: uploads and opened sources ask for the key', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(() => browser.close());
  const t = useTestService({ API_KEYS: 'page-key' });

  it('asks for a key before an upload and before opening a source, then does what was asked', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page, /status of (404|401)/);
    await page.goto(`${t.url}/`);
    await dropFiles(page, [{ name: 'failover.md', text: RUNBOOK }]);
    await page.waitForSelector('#key-form:not([hidden])');
    await page.fill('#api-key', 'page-key');
    await page.press('#api-key', 'Enter');
    // The upload went ahead with the key.
    await page.waitForFunction(() =>
      /^Added/.test(document.getElementById('upload-status')?.textContent ?? ''),
    );

    await askInPage(page, 'How do I promote the replica during a failover?');
    const opener = page.locator('.message.assistant:not(.pending) .sources button.open-source').first();
    await opener.waitFor();
    // The key is withdrawn meanwhile (rotated): opening asks again, says the old one was rejected, then opens.
    await page.evaluate(() => sessionStorage.setItem('kb.apiKey', 'rotated-away'));
    await opener.click();
    await page.waitForSelector('#key-form:not([hidden])');
    expect(await page.locator('#key-rejected').innerText()).toBe(
      'That key was rejected: check it and enter it again.',
    );
    expect(await page.locator('#document-view').isHidden()).toBe(true);
    await page.fill('#api-key', 'page-key');
    await page.press('#api-key', 'Enter');
    await page.locator('#document-view .cited-section').waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });
});
