import { atlassianSite } from '../fakes/forge-runtime';
import type { ServiceDouble } from '../fakes/service-double';
import { CONFLUENCE_SETTINGS, openPanel, type OpenPanel } from '../helpers/forge-ui';

/** The reindex form offers the sources the service says it can sync, and sends the one chosen. */
describe('admin page: the sources offered for a reindex', () => {
  let panel: OpenPanel | undefined;
  afterEach(() => panel?.close());

  const open = (prepare: (service: ServiceDouble) => void) =>
    openPanel(
      () => import('../../src/frontend/admin'),
      CONFLUENCE_SETTINGS,
      atlassianSite({ admin: true }),
      (u) => u.hasButton('Start reindex'),
      { prepare },
    );
  const offered = (p: OpenPanel) =>
    (p.ui.all('RadioGroup')[0]!.props.options as { value: string; label: string }[]).map((o) => o.label);

  it('offers the bucket when the service has one, and reindexes it', async () => {
    panel = await open((service) => (service.sources = ['s3', 'files']));
    expect(offered(panel)).toEqual(['S3 bucket', 'Documents folder']);
    expect(panel.ui.all('RadioGroup')[0]!.props.value).toBe('s3');
    panel.ui.click('Start reindex');
    await panel.ui.waitFor(
      () => panel!.service.requests.some((r) => r.path === '/api/v1/admin/reindex'),
      'the reindex request',
    );
    const reindex = panel.service.requests.find((r) => r.path === '/api/v1/admin/reindex')!;
    expect(reindex.body).toMatchObject({ source: 's3' });
  });

  it('offers only what the service can sync', async () => {
    panel = await open((service) => (service.sources = ['confluence', 'files']));
    expect(offered(panel)).toEqual(['Confluence', 'Documents folder']);
  });
});
