import { atlassianSite, FakeForgeRuntime } from '../fakes/forge-runtime';
import { ServiceDouble } from '../fakes/service-double';
import { ForgeUi, JIRA_ADMIN } from '../helpers/forge-ui';

/** The admin page opened by someone who is not a product admin (here on Jira's admin page). */
describe('admin page for a non-admin', () => {
  const service = new ServiceDouble();
  let runtime: FakeForgeRuntime;

  afterAll(async () => {
    runtime.uninstall();
    await service.stop();
  });

  it('says admins only, shows nothing of the index, and never reaches the service', async () => {
    await service.start();
    runtime = new FakeForgeRuntime(service.url, atlassianSite({ admin: false }));
    runtime.install();
    const { handler } = await import('../../src/index');
    const ui = new ForgeUi(handler, JIRA_ADMIN);
    ui.install();
    await import('../../src/frontend/admin');

    await ui.waitFor(() => ui.all('SectionMessage')[0]?.props.title === 'Admins only', 'the refusal');
    expect(ui.text()).toContain('Only Jira administrators can see the index and start a reindex.');
    expect(ui.hasButton('Start reindex')).toBe(false);
    expect(service.requests).toEqual([]);
    // Asked of Jira, as the user: the global ADMINISTER permission.
    expect(runtime.productCalls).toContainEqual({
      product: 'jira',
      method: 'POST',
      path: '/rest/api/3/permissions/check',
      body: { globalPermissions: ['ADMINISTER'] },
    });
  });
});
