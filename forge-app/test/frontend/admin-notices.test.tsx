import { atlassianSite } from '../fakes/forge-runtime';
import { CONFLUENCE_SETTINGS, openPanel, type OpenPanel } from '../helpers/forge-ui';

const NOT_ADMIN =
  "the service's Confluence account (CONFLUENCE_USERNAME) is not a Confluence administrator, so it cannot check which pages Jira users may view";

/** What the service cannot do until an admin acts reaches the admin page, above the index status. */
describe('admin page notices', () => {
  let panel: OpenPanel | undefined;
  afterEach(() => panel?.close());

  const open = (notices: string[]) =>
    openPanel(
      () => import('../../src/frontend/admin'),
      CONFLUENCE_SETTINGS,
      atlassianSite({ admin: true }),
      (u) => u.text().includes('documents,'),
      { prepare: (service) => (service.notices = notices) },
    );

  it("shows each of the service's notices as a warning", async () => {
    panel = await open([NOT_ADMIN]);
    const warnings = panel.ui.all('SectionMessage').filter((m) => m.props.appearance === 'warning');
    expect(warnings.map((m) => m.props.title)).toEqual(['Needs an admin']);
    expect(panel.ui.text(warnings[0])).toBe(NOT_ADMIN);
  });

  it('shows no warning when the service has nothing to say', async () => {
    panel = await open([]);
    expect(panel.ui.all('SectionMessage')).toHaveLength(0);
    expect(panel.ui.text()).not.toContain('Needs an admin');
  });
});
