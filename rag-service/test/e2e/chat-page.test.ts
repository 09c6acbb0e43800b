import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { SERVICE_ROOT } from '../../src/config.js';
import { ExtractiveAnswerer, LexicalCondenser } from '../../src/chat/extractive.js';
import { PacedAnswerer } from '../fakes/paced-answerer.js';
import { GeminiTestServer } from '../fakes/gemini-server.js';
import { OpenAITestServer } from '../fakes/openai-server.js';
import { launchBrowser } from '../helpers/browser.js';
import { freshPostgres } from '../helpers/postgres.js';
import { startTestService, useTestService, type TestService } from '../helpers/service.js';

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

/** Waits until the page shows `count` finished answers (streamed, or restored from a stored conversation). */
async function answered(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n) => document.querySelectorAll('.message.assistant:not(.pending)').length === n,
    count,
  );
}

/** The conversation the page's URL names (`#c=<id>`), if any. */
function idInUrl(page: Page): string | null {
  return new URLSearchParams(new URL(page.url()).hash.slice(1)).get('c');
}

/** The list entry whose title is exactly `title`. */
function listItem(page: Page, title: string) {
  return page.locator('#conversation-list li').filter({ has: page.getByText(title, { exact: true }) });
}

/** Console errors and uncaught exceptions, without the failed fetches a test causes on purpose. */
function watchErrors(page: Page, expectedStatuses: number[] = []): string[] {
  const errors: string[] = [];
  const expected = (text: string) =>
    expectedStatuses.some((s) =>
      text.includes(`Failed to load resource: the server responded with a status of ${s}`),
    );
  page.on('console', (m) => m.type() === 'error' && !expected(m.text()) && errors.push(m.text()));
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
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

    it('without history keeps no list and no ratings, says so briefly, and still answers', async () => {
      const page = await browser.newPage();
      const errors = watchErrors(page, [404]);
      // A link to a conversation from a service that keeps none: no error, a new conversation instead.
      await page.goto(`${t.url}/#c=00000000-0000-4000-8000-000000000000`);
      const note = page.locator('#history-note');
      await note.waitFor();
      expect(await note.innerText()).toMatch(/history is off/);
      expect(await page.isHidden('#history')).toBe(true);
      expect(await page.isHidden('#toggle-history')).toBe(true);
      await page.waitForFunction(() => location.hash === '');

      await askInPage(page, 'How do I upload a document?');
      await answered(page, 1);
      await askInPage(page, 'Which port does the service listen on?');
      await answered(page, 2);
      expect(await page.locator('.message.assistant .sources li').count()).toBeGreaterThan(0);
      expect(await page.locator('.rating').count()).toBe(0);
      expect(await page.locator('[role=alert]').count()).toBe(0);
      expect(idInUrl(page)).toBeNull();
      expect(await page.isHidden('#history')).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    });

    it('streams an answer with numbered sources, and shows errors inline', async () => {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const consoleErrors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
      await page.goto(`${t.url}/`);
      await watchAnswerUpdates(page);
      // Held after one delta: the page must show the answer's start while the rest is still to come.
      answerer.holdAfter(1);
      await askInPage(page, 'How do I reindex the knowledge base?');
      await page.waitForFunction(() =>
        Boolean(document.querySelector('.message.assistant.pending .text')?.textContent),
      );
      const partial = (await page.locator('.message.assistant.pending .text').textContent())!;
      answerer.release();

      const answer = page.locator('.message.assistant').last();
      await answer.locator('.sources li').first().waitFor();
      await page.waitForSelector('.message.assistant:not(.pending)');
      await expect(answer.locator('.text').innerText()).resolves.toContain('No language model is configured');
      const states = await page.evaluate(
        () => (window as unknown as { answerStates: string[] }).answerStates,
      );
      expect(states.length).toBeGreaterThanOrEqual(2);
      expect(states[0]).toBe(partial);
      expect((await answer.locator('.text').textContent())!.length).toBeGreaterThan(partial.length);
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
      // 503: the refusal above; 404: the conversation list, on a service that keeps no history.
      expect(consoleErrors.filter((e) => !/status of (503|404)/.test(e))).toEqual([]);
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
      // Rendered as it streamed: several states, each extending the last (frames may join tokens up).
      expect(states.length).toBeGreaterThan(2);
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

  describe('with conversation history (PostgreSQL)', () => {
    let db: Awaited<ReturnType<typeof freshPostgres>> | undefined;
    let t: TestService | undefined;
    beforeAll(async () => {
      db = await freshPostgres();
      t = await startTestService({ HISTORY: 'on', DATABASE_URL: db.url });
      await t.synced;
    });
    afterAll(async () => {
      await t?.close();
      await db?.drop();
    });
    // Every call from this machine without a key is the one local user: the page's and the test's alike.
    const api = () => request(t!.url);
    const stored = async (id: string) => (await api().get(`/api/v1/conversations/${id}`).expect(200)).body;
    /** A conversation made outside the page, as another tab or an earlier visit would have left it. */
    const chatViaApi = async (message: string): Promise<string> =>
      (
        await api()
          .post('/api/v1/chat')
          .send({ message, context: { product: 'web' } })
          .expect(200)
      ).body.conversationId;

    async function openPage(hash = '', viewport = { width: 1100, height: 900 }) {
      const page = await browser.newPage({ viewport });
      const errors = watchErrors(page);
      await page.goto(`${t!.url}/${hash}`);
      // The list is shown once its first page arrived.
      await page.waitForSelector('#history:not([hidden])', { state: 'attached' });
      return { page, errors };
    }

    it('lists a conversation once asked, continues it, and resumes it from the URL after a reload', async () => {
      const { page, errors } = await openPage();
      const first = 'How do I reindex the knowledge base?';
      const second = 'Can a running reindex be cancelled?';
      await askInPage(page, first);
      await answered(page, 1);
      await askInPage(page, second);
      await answered(page, 2);

      const id = idInUrl(page);
      expect(id).toBeTruthy();
      const entry = listItem(page, first);
      await entry.waitFor();
      // The second question continued the conversation: one entry, titled by the first question.
      expect(await listItem(page, second).count()).toBe(0);
      expect(await entry.locator('a.open').getAttribute('href')).toBe(`#c=${id}`);
      expect(await entry.locator('a.open').getAttribute('aria-current')).toBe('page');
      expect(await entry.locator('time').innerText()).toMatch(/now|second|minute/);
      expect((await stored(id!)).messages.map((m: { content: string }) => m.content)).toEqual([
        first,
        expect.any(String),
        second,
        expect.any(String),
      ]);

      await page.reload();
      await answered(page, 2);
      expect(await page.locator('.message.user').allInnerTexts()).toEqual([first, second]);
      const restored = page.locator('.message.assistant').first();
      expect(await restored.locator('.sources li').count()).toBeGreaterThan(0);
      expect(await restored.locator('.rating').count()).toBe(1);
      await askInPage(page, 'How long does a full reindex take?');
      await answered(page, 3);
      expect(idInUrl(page)).toBe(id);
      expect((await stored(id!)).messages).toHaveLength(6);
      await page.screenshot({ path: path.join(ARTIFACTS, 'chat-page-history.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    });

    it('opens another conversation from the list, with its sources, and continues that one', async () => {
      const older = 'Which port does the service listen on?';
      const olderId = await chatViaApi(older);
      const { page, errors } = await openPage();
      await askInPage(page, 'How do I upload a document?');
      await answered(page, 1);
      const currentId = idInUrl(page)!;

      await listItem(page, older).locator('a.open').click();
      await page.locator('.message.user', { hasText: older }).waitFor();
      await answered(page, 1);
      expect(idInUrl(page)).toBe(olderId);
      expect(await page.locator('.message.user').allInnerTexts()).toEqual([older]);
      expect(await page.locator('.message.assistant .sources li').count()).toBeGreaterThan(0);
      expect(await listItem(page, older).locator('a.open').getAttribute('aria-current')).toBe('page');

      await askInPage(page, 'Can I change that port?');
      await answered(page, 2);
      const continued = await stored(olderId);
      expect(continued.messages).toHaveLength(4);
      expect(continued.messages[2].content).toBe('Can I change that port?');
      expect((await stored(currentId)).messages).toHaveLength(2);

      // Back returns to the conversation the page showed before.
      await page.goBack();
      await page.locator('.message.user', { hasText: 'How do I upload a document?' }).waitFor();
      expect(idInUrl(page)).toBe(currentId);
      expect(errors).toEqual([]);
      await page.close();
    });

    it('rates an answer down with a reason, shows what was stored, and replaces it with a thumbs up', async () => {
      const { page, errors } = await openPage();
      await askInPage(page, 'Which file types can be uploaded?');
      await answered(page, 1);
      const id = idInUrl(page)!;
      const answer = page.locator('.message.assistant').last();
      const up = answer.getByRole('button', { name: 'Helpful', exact: true });
      const down = answer.getByRole('button', { name: 'Not helpful', exact: true });
      expect(await up.getAttribute('aria-pressed')).toBe('false');

      await down.click();
      await answer.getByLabel('Outdated').check();
      await answer.getByLabel('Comment (optional)').fill('The size limit changed last month.');
      await answer.locator('.rating').screenshot({ path: path.join(ARTIFACTS, 'chat-page-rating.png') });
      await answer.getByRole('button', { name: 'Send feedback' }).click();
      const status = answer.locator('.rating-status');
      await status.filter({ hasText: 'not helpful: Outdated' }).waitFor();
      expect(await status.innerText()).toContain('The size limit changed last month.');
      expect(await down.getAttribute('aria-pressed')).toBe('true');
      expect(await answer.locator('.reason-form').isHidden()).toBe(true);
      expect((await stored(id)).messages[1].feedback).toMatchObject({
        rating: 'down',
        reason: 'outdated',
        comment: 'The size limit changed last month.',
      });

      // Changed from the keyboard: the stored thumbs down is replaced, reason and comment with it.
      await up.focus();
      await page.keyboard.press('Enter');
      await status.filter({ hasText: 'rated this answer helpful' }).waitFor();
      expect(await down.getAttribute('aria-pressed')).toBe('false');
      expect((await stored(id)).messages[1].feedback).toMatchObject({
        rating: 'up',
        reason: null,
        comment: null,
      });

      // What is shown after a reload is what the service keeps.
      await page.reload();
      await answered(page, 1);
      expect(await up.getAttribute('aria-pressed')).toBe('true');
      expect(await status.innerText()).toContain('rated this answer helpful');
      expect(errors).toEqual([]);
      await page.close();
    });

    it('deletes a conversation after asking, from a narrow screen where the list is a panel', async () => {
      const title = 'What happens to deleted pages?';
      const id = await chatViaApi(title);
      const { page, errors } = await openPage(`#c=${id}`, { width: 390, height: 800 });
      await answered(page, 1);
      const toggle = page.getByRole('button', { name: 'Conversations' });
      expect(await page.isVisible('#conversation-list')).toBe(false);
      expect(await toggle.getAttribute('aria-expanded')).toBe('false');
      await toggle.click();
      expect(await toggle.getAttribute('aria-expanded')).toBe('true');
      const entry = listItem(page, title);
      expect(await entry.isVisible()).toBe(true);
      await page.screenshot({ path: path.join(ARTIFACTS, 'chat-page-narrow.png') });

      const remove = entry.getByRole('button', { name: `Delete “${title}”` });
      await remove.click();
      // It asks first; Cancel keeps the conversation.
      await entry.getByRole('button', { name: 'Cancel' }).click();
      expect(await remove.isVisible()).toBe(true);
      await stored(id);

      await remove.click();
      await entry.getByRole('button', { name: 'Delete', exact: true }).click();
      await entry.waitFor({ state: 'detached' });
      await api().get(`/api/v1/conversations/${id}`).expect(404);
      // The page leaves the deleted conversation: a new one, which the URL no longer names.
      expect(idInUrl(page)).toBeNull();
      expect(await page.locator('.message').count()).toBe(0);

      await page.reload();
      await page.waitForSelector('#history:not([hidden])', { state: 'attached' });
      expect(await listItem(page, title).count()).toBe(0);
      expect(errors).toEqual([]);
      await page.close();
    });

    it('loads older conversations a page at a time', async () => {
      // Created one after another, so "Paging 0" is the oldest of them and the only one past the first page.
      for (let i = 0; i <= 20; i++) await chatViaApi(`Paging ${i}: how do I reindex?`);
      const { page, errors } = await openPage();
      const entries = page.locator('#conversation-list li');
      expect(await entries.count()).toBe(20);
      expect(await listItem(page, 'Paging 20: how do I reindex?').count()).toBe(1);
      expect(await listItem(page, 'Paging 0: how do I reindex?').count()).toBe(0);

      await page.getByRole('button', { name: 'Load more' }).click();
      await listItem(page, 'Paging 0: how do I reindex?').waitFor();
      const titles = await entries.locator('.title').allInnerTexts();
      // Each of this test's conversations once (other tests in this service may have asked the same things).
      const paging = titles.filter((title) => title.startsWith('Paging '));
      expect(new Set(paging).size).toBe(21);
      expect(paging).toHaveLength(21);
      const { body } = await api().get('/api/v1/conversations?limit=100').expect(200);
      expect(titles).toEqual(body.conversations.map((c: { title: string }) => c.title));
      expect(await page.isHidden('#load-more')).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    });

    it('hides the list with a note when it cannot be loaded, and still answers', async () => {
      const page = await browser.newPage();
      const errors = watchErrors(page, [503]);
      await page.route('**/api/v1/conversations?*', (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'upstream_unavailable', message: 'the database is down' } }),
        }),
      );
      await page.goto(`${t!.url}/`);
      const note = page.locator('#history-note');
      await note.waitFor();
      expect(await note.innerText()).toContain('the database is down');
      expect(await page.isHidden('#history')).toBe(true);
      await askInPage(page, 'How do I upload a document?');
      await answered(page, 1);
      expect(await page.locator('[role=alert]').count()).toBe(0);

      await page.unroute('**/api/v1/conversations?*');
      await note.getByRole('button', { name: 'Try again' }).click();
      await listItem(page, 'How do I upload a document?').first().waitFor();
      expect(await note.isHidden()).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    });
  });
});
