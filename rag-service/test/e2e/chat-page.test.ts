import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SERVICE_ROOT } from '../../src/config.js';
import { ExtractiveAnswerer, LexicalCondenser } from '../../src/chat/extractive.js';
import { PacedAnswerer } from '../fakes/paced-answerer.js';
import { GeminiTestServer } from '../fakes/gemini-server.js';
import { OpenAITestServer } from '../fakes/openai-server.js';
import { launchBrowser } from '../helpers/browser.js';
import { useTestService } from '../helpers/service.js';

const ARTIFACTS = path.join(SERVICE_ROOT, 'test-artifacts');

/** Records each distinct text the pending answer shows: several states mean it was rendered as it streamed. */
async function watchAnswerUpdates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { answerStates: string[] };
    w.answerStates = [];
    new MutationObserver(() => {
      const text = document.querySelector('.message.assistant.pending .text')?.textContent;
      if (text && text !== w.answerStates.at(-1)) w.answerStates.push(text);
    }).observe(document.getElementById('messages')!, { subtree: true, childList: true, characterData: true });
  });
}

async function askInPage(page: Page, question: string) {
  await page.fill('#question', question);
  await page.press('#question', 'Enter');
}

describe('the web chat page, in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
    await mkdir(ARTIFACTS, { recursive: true });
  });
  afterAll(() => browser.close());

  describe('open service', () => {
    // The extractive answer is computed in one go; pacing its deltas lets the test see the page render
    // tokens as they arrive, as it does with a language model.
    const answerer = new PacedAnswerer(new ExtractiveAnswerer(), 40);
    const t = useTestService({}, { models: { answerer, condenser: new LexicalCondenser() } });

    it('streams an answer with numbered sources, and shows errors inline', async () => {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const consoleErrors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
      await page.goto(`${t.url}/`);
      await watchAnswerUpdates(page);
      await askInPage(page, 'How do I reindex the knowledge base?');

      const answer = page.locator('.message.assistant').last();
      await answer.locator('.sources li').first().waitFor();
      await page.waitForSelector('.message.assistant:not(.pending)');
      await expect(answer.locator('.text').innerText()).resolves.toContain('No language model is configured');
      const states = await page.evaluate(
        () => (window as unknown as { answerStates: string[] }).answerStates,
      );
      expect(states.length).toBeGreaterThan(2);
      for (let i = 1; i < states.length; i++) expect(states[i]!.startsWith(states[i - 1]!)).toBe(true);
      const sources = await answer.locator('.sources li').allInnerTexts();
      expect(sources.length).toBeGreaterThan(0);
      expect(sources.join('\n')).toMatch(/Reindexing the knowledge base/);
      const citeLinks = answer.locator('sup.cite a');
      expect(await citeLinks.count()).toBeGreaterThan(0);
      const href = await citeLinks.first().getAttribute('href');
      expect(await page.locator(href!).count()).toBe(1);
      expect(await page.locator('.message.user').innerText()).toBe('How do I reindex the knowledge base?');
      await page.screenshot({ path: path.join(ARTIFACTS, 'chat-page.png'), fullPage: true });

      // Shift+Enter makes a new line instead of sending.
      await page.fill('#question', 'first line');
      await page.press('#question', 'Shift+Enter');
      expect(await page.inputValue('#question')).toBe('first line\n');

      // A request the service refuses shows its message inline, with a way to try again.
      await page.fill('#question', '');
      await page.route('**/api/v1/chat', (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'upstream_unavailable', message: 'the model is down' } }),
        }),
      );
      await askInPage(page, 'Will this fail?');
      await expect(page.locator('.message.assistant .error').last().innerText()).resolves.toContain(
        'the model is down',
      );
      await page.unroute('**/api/v1/chat');
      await page.locator('.message.assistant .error button').last().click();
      await page.waitForSelector('.message.assistant:not(.pending) .text');
      expect(consoleErrors.filter((e) => !/503/.test(e))).toEqual([]);
      await page.close();
    });
  });

  describe.each([
    {
      name: 'OpenAI',
      server: new OpenAITestServer(),
      key: 'OPENAI_API_KEY',
      url: 'OPENAI_BASE_URL',
      model: 'openai:gpt-4o-mini',
    },
    {
      name: 'Gemini',
      server: new GeminiTestServer(),
      key: 'GOOGLE_API_KEY',
      url: 'GEMINI_BASE_URL',
      model: 'gemini:gemini-2.5-flash',
    },
  ])('with a language model ($name wire format)', ({ name, server, key, url, model }) => {
    beforeAll(async () => {
      await server.start();
      server.tokenDelayMs = 40;
    });
    afterAll(() => server.close());
    // Getters: the server's URL exists only once its beforeAll (registered first, so run first) has started it.
    const t = useTestService({
      get [key]() {
        return server.apiKey;
      },
      get [url]() {
        return server.baseUrl;
      },
    });

    it('renders the model answer token by token, with its citation linked to the source', async () => {
      const page = await browser.newPage();
      await page.goto(`${t.url}/`);
      await watchAnswerUpdates(page);
      await askInPage(page, 'How do I reindex the knowledge base?');
      await page.waitForSelector('.message.assistant:not(.pending) sup.cite a');
      const states = await page.evaluate(
        () => (window as unknown as { answerStates: string[] }).answerStates,
      );
      expect(states.length).toBeGreaterThan(5);
      const answer = page.locator('.message.assistant').last();
      await expect(answer.locator('.text').innerText()).resolves.toMatch(
        /^According to the documentation, .+\[1\]$/,
      );
      expect(await page.locator('#model').innerText()).toContain(model);
      await page.screenshot({
        path: path.join(ARTIFACTS, `chat-page-${name.toLowerCase()}.png`),
        fullPage: true,
      });
      await page.close();
    });
  });

  describe('service with API keys', () => {
    const t = useTestService({ API_KEYS: 'page-key' });

    it('asks for the key once and keeps it for the session', async () => {
      const page = await browser.newPage();
      await page.goto(`${t.url}/`);
      await askInPage(page, 'How do I upload a document?');
      await page.waitForSelector('#key-form:not([hidden])');
      await page.fill('#api-key', 'page-key');
      await page.press('#api-key', 'Enter');
      await page.waitForSelector('.message.assistant:not(.pending) .sources li');
      expect(await page.isHidden('#key-form')).toBe(true);

      await askInPage(page, 'Which port does the service listen on?');
      await page.waitForFunction(
        () => document.querySelectorAll('.message.assistant:not(.pending)').length === 2,
      );
      expect(await page.isHidden('#key-form')).toBe(true);
      expect(await page.evaluate(() => sessionStorage.getItem('kb.apiKey'))).toBe('page-key');
      await page.screenshot({ path: path.join(ARTIFACTS, 'chat-page-with-key.png'), fullPage: true });
      await page.close();
    });
  });
});
