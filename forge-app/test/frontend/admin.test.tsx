import { atlassianSite } from '../fakes/forge-runtime';
import type { ServiceDouble } from '../fakes/service-double';
import { expectConsoleWarn } from '../helpers/console-guard';
import { CONFLUENCE_SETTINGS, openPanel, type ForgeUi, type OpenPanel } from '../helpers/forge-ui';

/**
 * The admin page for a Confluence administrator: status, reindex, live progress, recent jobs, cancel.
 * Each test opens its own page on its own service: no job of an earlier test is running or listed.
 */
describe('admin page', () => {
  let panel: OpenPanel;
  let ui: ForgeUi;
  let service: ServiceDouble;

  beforeEach(async () => {
    panel = await openPanel(
      () => import('../../src/frontend/admin'),
      CONFLUENCE_SETTINGS,
      atlassianSite({ admin: true }),
      (u) => u.text().includes('Knowledge assistant'),
    );
    ({ ui, service } = panel);
  });
  afterEach(() => panel.close());

  const checkbox = (label: string) => ui.all('Checkbox', (c) => String(c.props.label).startsWith(label))[0]!;

  it('shows the index status per source and space', () => {
    expect(ui.text()).toContain('42 documents, 318 chunks');
    expect(ui.tableRows('Indexed sources').map((cells) => cells.slice(0, 3))).toEqual([
      ['confluence', 'ENG', '30'],
      ['confluence', 'SUP', '3'],
      ['files', '—', '9'],
    ]);
    // The spaces the index knows are offered for a scoped reindex.
    expect(ui.all('Checkbox').map((c) => c.props.label)).toEqual(expect.arrayContaining(['ENG', 'SUP']));
  });

  it('starts a full reindex of the chosen spaces and shows its progress live until it ends', async () => {
    ui.change(checkbox('ENG'), { checked: true });
    await ui.waitFor(() => checkbox('ENG').props.isChecked === true, 'ENG checked');
    ui.change(ui.all('Textfield')[0]!, { value: 'OPS, bad key!' });
    await ui.waitForText('Not a space key: key!');
    expect(ui.button('Start reindex').props.isDisabled).toBe(true);
    ui.change(ui.all('Textfield')[0]!, { value: 'OPS' });
    ui.change(checkbox('Full reindex'), { checked: true });
    await ui.waitFor(() => ui.button('Start reindex').props.isDisabled === false, 'the form to be valid');
    ui.click('Start reindex');

    await ui.waitForText('40 of 120 processed');
    await ui.waitForText('120 of 120 processed');
    await ui.waitFor(() => ui.all('Lozenge').some((l) => ui.text(l) === 'succeeded'), 'the succeeded state');
    const reindex = service.requests.find((r) => r.path === '/api/v1/admin/reindex')!;
    expect(reindex.body).toEqual({ source: 'confluence', full: true, spaceKeys: ['ENG', 'OPS'] });
    // Progress went up in steps the page showed, not only the end.
    expect(ui.seenTexts.some((t) => t.includes('80 of 120 processed'))).toBe(true);
    await ui.waitFor(() => ui.tableRows('Recent jobs').length === 1, 'the recent jobs to refresh');
    const jobs = ui.tableRows('Recent jobs');
    expect(jobs[0]!.slice(1)).toEqual(['confluence', 'ENG, OPS', 'full', 'succeeded', '120 / 120', '']);
    expect(ui.hasButton('Cancel job')).toBe(false);
    expect(ui.all('ProgressBar')[0]!.props.value).toBe(1);
  });

  it('cancels a running job', async () => {
    service.progressStep = 1;
    ui.click('Start reindex');
    await ui.waitFor(() => ui.hasButton('Cancel job'), 'the cancel button');
    ui.click('Cancel job');
    await ui.waitFor(() => ui.all('Lozenge').some((l) => ui.text(l) === 'cancelled'), 'the cancelled state');
    expect(service.requests.filter((r) => r.path.endsWith('/cancel')).map((r) => r.method)).toEqual(['POST']);
    expect(ui.hasButton('Cancel job')).toBe(false);
  });

  it('follows the running job when a reindex is refused because one already runs', async () => {
    expectConsoleWarn('reindex failed for account acc-admin-2: conflict');
    service.progressStep = 1;
    ui.click('Start reindex');
    await ui.waitFor(() => ui.hasButton('Cancel job'), 'the running job');
    const running = service.requests.filter((r) => r.path === '/api/v1/admin/reindex').length;
    // Another admin starts one at the same moment: the service answers 409 with the running job's id.
    const { handler } = await import('../../src/index');
    const other = (await handler(
      {
        call: { functionKey: 'reindex', payload: {} },
        context: { extension: CONFLUENCE_SETTINGS.extension },
      },
      { principal: { accountId: 'acc-admin-2' } },
    )) as { ok: boolean; error: { code: string; jobId: string } };
    expect(other).toMatchObject({ ok: false, error: { code: 'conflict', jobId: 'job-1' } });
    expect(service.requests.filter((r) => r.path === '/api/v1/admin/reindex').length).toBe(running + 1);
    ui.click('Cancel job');
    await ui.waitFor(() => !ui.hasButton('Cancel job'), 'the job to stop');
  });
});
