import { atlassianSite } from '../fakes/forge-runtime';
import type { ServiceDouble } from '../fakes/service-double';
import { CONFLUENCE_SETTINGS, openPanel, type ForgeUi, type OpenPanel } from '../helpers/forge-ui';

/**
 * How the admin page follows a running job, on jest's fake clock: the page is rendered through Forge's
 * reconciler and every call goes through the real resolvers to a service served in process, so each look
 * at the job happens at an exact fake time. Each test opens its own page on its own service (one test
 * closes its page; the other needs a page with no job running).
 */
describe('admin page polling', () => {
  let panel: OpenPanel;
  let ui: ForgeUi;
  let service: ServiceDouble;

  beforeEach(async () => {
    panel = await openPanel(
      () => import('../fixtures/closable-admin'),
      CONFLUENCE_SETTINGS,
      atlassianSite({ admin: true }),
      (u) => u.text().includes('Knowledge assistant') && u.hasButton('Start reindex'),
      { inMemory: true },
    );
    ({ ui, service } = panel);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  });
  afterEach(async () => {
    jest.useRealTimers();
    await panel.close();
  });

  /** Lets the calls under way finish and React commit: real macrotask turns, no fake time passes. */
  const settle = async (): Promise<void> => {
    for (let turn = 0; turn < 40; turn++) await new Promise((resolve) => setImmediate(resolve));
  };
  /** Moves the fake clock on in half-second steps, letting every call it starts complete. */
  const wait = async (ms: number): Promise<void> => {
    for (let passed = 0; passed < ms; passed += 500) {
      await jest.advanceTimersByTimeAsync(500);
      await settle();
    }
  };
  const looks = () =>
    service.requests.filter((r) => r.method === 'GET' && /\/admin\/jobs\/job-/.test(r.path));
  const gaps = () =>
    looks()
      .map((r, i, all) => (i === 0 ? 0 : r.at - all[i - 1]!.at))
      .slice(1);

  it('backs off from 1.5 s to 30 s while the job does not move, then follows it closely again and stops when it ends', async () => {
    service.progressStep = 0;
    ui.click('Start reindex');
    await settle();
    expect(looks()).toHaveLength(1);

    await wait(110_000);
    expect(gaps()).toEqual([1_500, 3_000, 6_000, 12_000, 24_000, 30_000, 30_000]);

    // The job moves again: the next look sees it, and the page is back to every 1.5 s until it succeeds.
    service.progressStep = 40;
    await wait(35_000);
    expect(gaps().slice(7)).toEqual([30_000, 1_500, 1_500]);
    expect(ui.all('Lozenge').some((l) => ui.text(l) === 'succeeded')).toBe(true);
    expect(ui.text()).toContain('120 of 120 processed');

    // Finished: no more looks, however long the page stays open.
    const count = looks().length;
    await wait(300_000);
    expect(looks()).toHaveLength(count);
  });

  it('stops polling when the page is closed', async () => {
    service.progressStep = 0;
    ui.click('Start reindex');
    await settle();
    await wait(5_000);
    const before = looks().length;
    expect(gaps()).toEqual([1_500, 3_000]);

    ui.click('Close page');
    await settle();
    expect(ui.text()).toContain('Page closed');
    await wait(300_000);
    expect(looks()).toHaveLength(before);
  });
});
