import { atlassianSite } from '../fakes/forge-runtime';
import { expectConsoleWarn } from '../helpers/console-guard';
import { JIRA_ADMIN, openPanel, type OpenPanel } from '../helpers/forge-ui';

/** The admin page opened by someone who is not a product admin (here on Jira's admin page). */
describe('admin page for a non-admin', () => {
  let panel: OpenPanel;
  afterEach(() => panel.close());

  it('says admins only, shows nothing of the index, and never reaches the service', async () => {
    // Each refusal is logged for Forge's log viewer: on opening, the page asks for the status, the jobs
    // and the insights (all three calls start together, and closing the panel waits for them).
    for (const key of ['indexStatus', 'listJobs', 'insights'])
      expectConsoleWarn(`refused ${key}: account acc-jira-admin is not a jira admin`);
    panel = await openPanel(
      () => import('../../src/frontend/admin'),
      JIRA_ADMIN,
      atlassianSite({ admin: false }),
      (u) => u.all('SectionMessage').length > 0,
    );
    const { ui, service, runtime } = panel;
    expect(ui.all('SectionMessage')[0]!.props.title).toBe('Admins only');
    expect(ui.text()).toContain('Only Jira administrators can see the index and start a reindex.');
    expect(ui.hasButton('Start reindex')).toBe(false);
    expect(service.requests).toEqual([]);
    // Asked of Jira, as the user: the global ADMINISTER permission.
    expect(runtime.productCalls).toContainEqual(
      expect.objectContaining({
        product: 'jira',
        method: 'POST',
        path: '/rest/api/3/permissions/check',
        body: { globalPermissions: ['ADMINISTER'] },
      }),
    );
  });
});
