import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { SERVICE_ROOT } from '../../src/config.js';
import { OpenAITestServer } from '../fakes/openai-server.js';
import { axeFindings, type AxeFinding } from '../helpers/axe.js';
import { launchBrowser } from '../helpers/browser.js';
import { freshPostgres } from '../helpers/postgres.js';
import { startTestService, type TestService } from '../helpers/service.js';

/**
 * The page's states a reader meets, each screenshotted and checked with axe-core, on a desktop and a phone,
 * light and dark. `SCREENSHOTS_DIR=../docs/screenshots` writes the set the README shows; by default it goes
 * to test-artifacts/tour.
 */
const OUT = path.resolve(SERVICE_ROOT, process.env.SCREENSHOTS_DIR ?? 'test-artifacts/tour');

const ANSWER = [
  'Run a full reindex after changing the embedding model [1]:',
  '',
  '```sh',
  'pnpm ingest --full',
  '```',
  '',
  '| Mode | When it runs |',
  '| --- | --- |',
  '| incremental | at every start and on each `REINDEX_CRON` tick |',
  '| full | after changing the embedding model [2] |',
  '',
  'An incremental sync skips documents whose content did not change.',
].join('\n');

const DEVICES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

interface StateReport {
  state: string;
  device: keyof typeof DEVICES;
  colorScheme: 'light' | 'dark';
  screenshot: string;
  findings: Record<string, number>;
  /** Every finding, of any impact: what a reviewer reads first. */
  all: AxeFinding[];
}

describe('a tour of the chat page: every state, desktop and phone, light and dark, with axe', () => {
  let browser: Browser;
  let db: Awaited<ReturnType<typeof freshPostgres>>;
  let t: TestService;
  const model = new OpenAITestServer();
  const report: StateReport[] = [];

  beforeAll(async () => {
    await mkdir(OUT, { recursive: true });
    browser = await launchBrowser();
    await model.start();
    model.reply = () => ANSWER;
    model.tokenDelayMs = 5;
    db = await freshPostgres();
    t = await startTestService({
      HISTORY: 'on',
      DATABASE_URL: db.url,
      OPENAI_API_KEY: model.apiKey,
      OPENAI_BASE_URL: model.baseUrl,
    });
    await t.synced;
    // Earlier conversations, as a reader would have them: the list shows these beside each tour's own.
    for (const message of [
      'How do I upload a document?',
      'Which port does the service listen on?',
      'Can a running reindex be cancelled?',
    ]) {
      await request(t.url)
        .post('/api/v1/chat')
        .send({ message, context: { product: 'web' } })
        .expect(200);
    }
  });
  afterAll(async () => {
    await writeFile(
      path.join(OUT, 'axe-report.json'),
      `${JSON.stringify({ tool: 'axe-core via playwright (Chromium)', states: report }, null, 2)}\n`,
    );
    // Each step ran only if the ones before it did; a failed setup leaves the later ones unset.
    const started = [t as TestService | undefined, db as typeof db | undefined] as const;
    await started[0]?.close();
    await started[1]?.drop();
    await model.close();
    await (browser as Browser | undefined)?.close();
  });

  /** Screenshots the page as `<state>-<device>-<scheme>.png` and records axe's findings by impact. */
  async function capture(
    page: Page,
    state: string,
    device: keyof typeof DEVICES,
    colorScheme: 'light' | 'dark',
  ) {
    const screenshot = `${state}-${device}-${colorScheme}.png`;
    await page.screenshot({ path: path.join(OUT, screenshot) });
    const findings = await axeFindings(page);
    const byImpact: Record<string, number> = { critical: 0, serious: 0, moderate: 0, minor: 0 };
    for (const f of findings) byImpact[f.impact] = (byImpact[f.impact] ?? 0) + 1;
    report.push({ state, device, colorScheme, screenshot, findings: byImpact, all: findings });
    // None of any impact: the issue asks for no serious ones, and this page has none of the others either.
    return findings.map((f) => `${f.impact} ${f.id}: ${f.targets.join(', ')}`);
  }

  for (const colorScheme of ['light', 'dark'] as const) {
    for (const device of ['desktop', 'phone'] as const) {
      it(`${device}, ${colorScheme}: empty, answered, cited, source opened, rated, conversations`, async () => {
        const context = await browser.newContext({
          viewport: DEVICES[device],
          colorScheme,
          // The cited source stays lit instead of fading, so the screenshot shows it.
          reducedMotion: 'reduce',
          bypassCSP: true,
        });
        const page = await context.newPage();
        await page.goto(`${t.url}/`);
        await page.locator('#suggestions button').first().waitFor();
        expect(await capture(page, 'empty', device, colorScheme)).toEqual([]);

        await page.fill('#question', 'When do I need a full reindex?');
        await page.press('#question', 'Enter');
        const answer = page.locator('.message.assistant:not(.pending)').last();
        await answer.locator('.rating').waitFor();
        expect(await answer.locator('pre code').count()).toBe(1);
        expect(await answer.locator('table tbody tr').count()).toBe(2);
        expect(await capture(page, 'answer', device, colorScheme)).toEqual([]);

        await answer.locator('sup.cite a').first().click();
        await answer.locator('.sources li.highlight').waitFor();
        expect(await capture(page, 'citation', device, colorScheme)).toEqual([]);

        await answer.locator('.sources button.open-source').first().click();
        await page.locator('#document-view .cited-section').waitFor();
        expect(await capture(page, 'document', device, colorScheme)).toEqual([]);
        // The dialog fits the screen: on a phone it is the screen.
        const dialogBox = (await page.locator('#document-view').boundingBox())!;
        expect(dialogBox.x).toBeGreaterThanOrEqual(0);
        expect(dialogBox.x + dialogBox.width).toBeLessThanOrEqual(DEVICES[device].width);
        if (device === 'phone') expect(dialogBox.width).toBe(DEVICES.phone.width);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
          DEVICES[device].width,
        );
        await page.keyboard.press('Escape');
        await page.locator('#document-view').waitFor({ state: 'hidden' });

        await answer.getByRole('button', { name: 'Not helpful', exact: true }).click();
        await answer.getByLabel('Incomplete').check();
        await answer.getByLabel('Comment (optional)').fill('It does not say how long a full reindex takes.');
        await answer.getByRole('button', { name: 'Send feedback' }).click();
        await answer.locator('.rating-status').filter({ hasText: 'not helpful: Incomplete' }).waitFor();
        await answer.locator('.rating').scrollIntoViewIfNeeded();
        expect(await capture(page, 'rated', device, colorScheme)).toEqual([]);

        if (device === 'phone') await page.getByRole('button', { name: 'Conversations' }).click();
        const entry = page
          .locator('#conversation-list li')
          .filter({ hasText: 'When do I need a full reindex?' });
        await entry.first().waitFor();
        expect(await page.isVisible('#conversation-list')).toBe(true);
        expect(await capture(page, 'conversations', device, colorScheme)).toEqual([]);
        // The next tour starts from the same list.
        const id = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('c');
        await request(t.url).delete(`/api/v1/conversations/${id}`).expect(204);
        await context.close();
      });
    }
  }
});
