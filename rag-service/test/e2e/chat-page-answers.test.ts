import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { SERVICE_ROOT } from '../../src/config.js';
import { OpenAITestServer } from '../fakes/openai-server.js';
import { axeViolations } from '../helpers/axe.js';
import { launchBrowser } from '../helpers/browser.js';
import { useTestService } from '../helpers/service.js';

const ARTIFACTS = path.join(SERVICE_ROOT, 'test-artifacts');

/** What the model answers: Markdown with a list, code, a table and a citation, and markup that must not run. */
const MARKDOWN_ANSWER = [
  'To reindex, run the command below [1]:',
  '',
  '```sh',
  'pnpm ingest --full',
  '```',
  '',
  '- **Incremental** sync skips unchanged documents',
  '- A *full* reindex re-embeds everything [2]',
  '',
  '| Mode | When |',
  '| --- | --- |',
  '| incremental | every start |',
  '| full | after changing the embedding model |',
  '',
  'Unsafe: <img src="x" onerror="window.pwned = 1"><script>window.pwned = 2</script>',
  // Markup dressed as the page's own: a citation to a source that was not given, a label that presses Send.
  'Fake: <sup class="cite"><a href="#src-2-9">9</a></sup> <label for="send">press</label> <b id="send">x</b>',
  '[a link](javascript:window.pwned=3) and [the docs](https://example.com/docs).',
].join('\n');

async function askInPage(page: Page, question: string) {
  await page.fill('#question', question);
  await page.press('#question', 'Enter');
}

/** Console errors and uncaught exceptions (the conversation list's 404 on a service without history aside). */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('status of 404')) errors.push(m.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

describe('the chat page with a language model: Markdown, citations, copy, stop, themes, phones', () => {
  let browser: Browser;
  const model = new OpenAITestServer();
  beforeAll(async () => {
    browser = await launchBrowser();
    await mkdir(ARTIFACTS, { recursive: true });
    await model.start();
  });
  afterAll(async () => {
    await browser.close();
    await model.close();
  });
  beforeEach(() => {
    model.reply = () => MARKDOWN_ANSWER;
    model.tokenDelayMs = 0;
  });
  const t = useTestService({
    get OPENAI_API_KEY() {
      return model.apiKey;
    },
    get OPENAI_BASE_URL() {
      return model.baseUrl;
    },
  });

  /** A page in a context of its own; axe runs need CSP bypassed to inject its script. */
  async function open(options: BrowserContextOptions = {}) {
    const context = await browser.newContext({ bypassCSP: true, ...options });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${t.url}/`);
    return { context, page, errors };
  }

  it('renders the answer as Markdown — list, code, table, linked citations — and drops what could run', async () => {
    const { context, page, errors } = await open();
    await askInPage(page, 'How do I reindex the knowledge base?');
    const text = page.locator('.message.assistant:not(.pending) .text');
    await text.waitFor();
    expect((await text.locator('pre code').innerText()).trimEnd()).toBe('pnpm ingest --full');
    expect(await text.locator('ul > li').allInnerTexts()).toEqual([
      'Incremental sync skips unchanged documents',
      'A full reindex re-embeds everything [2]',
    ]);
    expect(await text.locator('ul strong').innerText()).toBe('Incremental');
    expect(await text.locator('table tbody tr').count()).toBe(2);
    expect(await text.locator('table th').allInnerTexts()).toEqual(['Mode', 'When']);
    expect(await text.locator('sup.cite a').evaluateAll((a) => a.map((x) => x.getAttribute('href')))).toEqual(
      [expect.stringMatching(/^#src-\d+-1$/), expect.stringMatching(/^#src-\d+-2$/)],
    );
    // Nothing executable survives; a javascript: link loses its target, a web link opens beside the page.
    expect(await text.locator('img, script, label, [id], [for]').count()).toBe(0);
    expect(await text.innerText()).toContain('Fake: 9 press x');
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await text.getByText('a link').getAttribute('href')).toBeNull();
    const docs = text.getByText('the docs');
    expect(await docs.getAttribute('href')).toBe('https://example.com/docs');
    expect(await docs.getAttribute('target')).toBe('_blank');
    expect(await docs.getAttribute('rel')).toBe('noopener noreferrer');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('offers a few questions drawn from the documents’ titles, and asks one when chosen', async () => {
    const { context, page, errors } = await open();
    const chips = page.locator('#suggestions button.suggestion');
    await chips.first().waitFor();
    expect(await chips.count()).toBe(4);
    const title = await chips.first().innerText();
    expect(await chips.first().getAttribute('aria-label')).toBe(`Ask: Tell me about ${title}.`);
    await chips.first().click();
    await page.locator('.message.assistant:not(.pending)').waitFor();
    expect(await page.locator('.message.user .text').innerText()).toBe(`Tell me about ${title}.`);
    expect(await page.isHidden('#suggestions')).toBe(true);
    // A new conversation offers them again.
    await page.click('#new-chat');
    expect(await page.isVisible('#suggestions')).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('copies a code block and the whole answer, and lights up the source a citation names', async () => {
    const { context, page } = await open({ permissions: ['clipboard-read', 'clipboard-write'] });
    await askInPage(page, 'How do I reindex the knowledge base?');
    const answer = page.locator('.message.assistant:not(.pending)');
    await answer.waitFor();
    await answer.locator('button.copy-code').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('pnpm ingest --full');
    await answer.getByRole('button', { name: 'Copy answer' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(MARKDOWN_ANSWER);
    await expect(answer.getByRole('button', { name: 'Copied' }).count()).resolves.toBe(1);

    await answer.locator('sup.cite a').first().click();
    const source = answer.locator('.sources li').first();
    await page.waitForFunction(() => document.activeElement?.classList.contains('highlight'));
    expect(await source.evaluate((li) => li === document.activeElement)).toBe(true);
    // The URL still names the page, not the source.
    expect(new URL(page.url()).hash).toBe('');
    await context.close();
  });

  it('stops an answer while it streams: what came stays, marked stopped, and the model call is dropped', async () => {
    model.reply = () => Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    model.tokenDelayMs = 50;
    const { context, page, errors } = await open();
    // A double-click on Send asks once and stops nothing.
    await page.fill('#question', 'How do I reindex the knowledge base?');
    await page.dblclick('#send');
    await page.waitForFunction(() =>
      /word2\b/.test(document.querySelector('.message.assistant .text')?.textContent ?? ''),
    );
    expect(await page.locator('.message.user').count()).toBe(1);
    expect(await page.locator('.message.assistant.stopped').count()).toBe(0);
    await page.click('#send');
    await page.locator('.message.assistant.stopped').waitFor();
    const call = model.nextRequest(/chat\/completions/);
    await askInPage(page, 'Tell me everything.');
    await page.waitForFunction(() =>
      /word3\b/.test(document.querySelectorAll('.message.assistant .text')[1]?.textContent ?? ''),
    );
    expect(await page.locator('#send').innerText()).toBe('Stop');
    await page.click('#send');
    await page.locator('.message.assistant.stopped').nth(1).waitFor();
    expect(await page.locator('.stopped-note').allInnerTexts()).toEqual(['Stopped.', 'Stopped.']);
    const shown = await page.locator('.message.assistant .text').nth(1).innerText();
    expect(shown).toMatch(/^word0 word1 word2 word3/);
    expect(await page.locator('.message.assistant.stopped').count()).toBe(2);
    expect(shown).not.toContain('word199');
    expect(await page.locator('#send').innerText()).toBe('Send');
    // The service let go of the model too: its stream to the test server closed before the end.
    await model.closed(await call);
    expect(errors).toEqual([]);
    await context.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    for (const [device, viewport] of [
      ['desktop', { width: 1280, height: 800 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      it(`has no serious accessibility findings, ${device}, ${colorScheme}: empty, then answered`, async () => {
        const { context, page } = await open({ viewport, colorScheme });
        await page.locator('#suggestions button').first().waitFor();
        expect(await axeViolations(page)).toEqual([]);
        await page.screenshot({ path: path.join(ARTIFACTS, `page-empty-${device}-${colorScheme}.png`) });
        await askInPage(page, 'How do I reindex the knowledge base?');
        await page.locator('.message.assistant:not(.pending)').waitFor();
        expect(await axeViolations(page)).toEqual([]);
        await page.screenshot({ path: path.join(ARTIFACTS, `page-answer-${device}-${colorScheme}.png`) });
        if (device === 'phone') {
          // One compact header (not six wrapped lines), nothing wider than the screen.
          const header = await page.locator('header').boundingBox();
          expect(header!.height).toBeLessThanOrEqual(80);
          expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
          // The answer's start is in view, not scrolled past.
          const top = await page.locator('.message.assistant').boundingBox();
          expect(top!.y).toBeGreaterThanOrEqual(0);
          expect(top!.y).toBeLessThan(844);
        }
        const background = await page.evaluate(
          () => getComputedStyle(document.documentElement).backgroundColor,
        );
        expect(background).toBe(colorScheme === 'dark' ? 'rgb(22, 26, 29)' : 'rgb(247, 248, 249)');
        await context.close();
      });
    }
  }
});

describe('the chat page with API keys', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(() => browser.close());
  const t = useTestService({ API_KEYS: 'page-key' });

  it('says a wrong key was rejected, and takes the right one', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.url}/`);
    await askInPage(page, 'How do I upload a document?');
    await page.waitForSelector('#key-form:not([hidden])');
    // First ask: no key yet, so nothing was rejected.
    expect(await page.isHidden('#key-rejected')).toBe(true);
    await page.fill('#api-key', 'wrong-key');
    await page.press('#api-key', 'Enter');
    const rejected = page.locator('#key-rejected');
    await rejected.waitFor();
    expect(await rejected.innerText()).toBe('That key was rejected: check it and enter it again.');
    expect(await rejected.getAttribute('role')).toBe('alert');
    expect(await page.getAttribute('#api-key', 'aria-invalid')).toBe('true');
    await page.fill('#api-key', 'page-key');
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('.message.assistant:not(.pending) .sources li');
    expect(await page.isHidden('#key-form')).toBe(true);
    await page.close();
  });
});
