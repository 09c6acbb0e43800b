import type { Insights } from '@kb/contracts';
import { atlassianSite } from '../fakes/forge-runtime';
import type { ServiceDouble } from '../fakes/service-double';
import { expectConsoleWarn } from '../helpers/console-guard';
import { CONFLUENCE_SETTINGS, openPanel, type OpenPanel } from '../helpers/forge-ui';

/** Ten days of a site's questions, as the service reports them. */
function seeded(): Insights {
  const perDay = Array.from({ length: 30 }, (_, i) => ({
    date: `2026-11-${String(i + 1).padStart(2, '0')}`,
    questions: i % 5,
    unanswered: i % 2,
    up: 0,
    down: 0,
  }));
  return {
    days: 30,
    from: '2026-11-01T00:00:00.000Z',
    to: '2026-11-30T12:00:00.000Z',
    scope: 'installation',
    totals: { questions: 60, conversations: 40, users: 12, answered: 45, unanswered: 15 },
    feedback: {
      up: 9,
      down: 4,
      reasons: { wrong: 1, outdated: 3, incomplete: 0, not_relevant: 0, other: 0 },
    },
    perDay,
    gaps: [
      {
        id: 'a1b2c3d4e5f6',
        count: 7,
        unanswered: 6,
        ratedDown: 1,
        representative: 'Does it support Slack?',
        examples: ['Slack integration?', 'Can I connect it to Slack'],
        lastAskedAt: '2026-11-29T10:00:00.000Z',
      },
      {
        id: '0f9e8d7c6b5a',
        count: 2,
        unanswered: 2,
        ratedDown: 0,
        representative: 'How do I configure SSO?',
        examples: [],
        lastAskedAt: '2026-11-20T10:00:00.000Z',
      },
    ],
    gapsGroupedBy: 'meaning',
    topSources: [{ id: 'confluence:page:12', title: 'Reindexing', url: 'https://x/12', citations: 21 }],
    perSpace: [{ spaceKey: 'ENG', questions: 60 }],
    perProduct: [{ product: 'confluence', questions: 60 }],
  };
}

/** The admin page's insights, drawn from what the insights resolver returns. */
describe('admin page insights', () => {
  let panel: OpenPanel | undefined;
  afterEach(() => panel?.close());

  const open = (options: { prepare: (service: ServiceDouble) => void }) =>
    openPanel(
      () => import('../../src/frontend/admin'),
      CONFLUENCE_SETTINGS,
      atlassianSite({ admin: true }),
      (u) => u.text().includes('Insights') && !u.all('Spinner').length,
      options,
    );

  it('charts questions and unanswered per day, and lists the gaps, the top sources and the feedback', async () => {
    const insights = seeded();
    panel = await open({ prepare: (service) => (service.insights = insights) });
    const { ui } = panel;
    const [chart] = ui.all('LineChart');
    expect(chart!.props).toMatchObject({ xAccessor: 'date', yAccessor: 'count', colorAccessor: 'series' });
    const data = chart!.props.data as { date: string; count: number; series: string }[];
    expect(data.filter((d) => d.series === 'questions').map((d) => d.count)).toEqual(
      insights.perDay.map((d) => d.questions),
    );
    expect(data.filter((d) => d.series === 'unanswered').map((d) => d.count)).toEqual(
      insights.perDay.map((d) => d.unanswered),
    );
    expect(ui.tableRows('Content gaps: unanswered and rated-down questions, grouped by meaning')).toEqual([
      [
        'Does it support Slack? (also: Slack integration? · Can I connect it to Slack)',
        '7',
        '6 / 1',
        '2026-11-29',
      ],
      ['How do I configure SSO?', '2', '2 / 0', '2026-11-20'],
    ]);
    expect(ui.tableRows('Most cited sources')).toEqual([['Reindexing', '21']]);
    expect(ui.text()).toContain('60 questions in 40 conversations from 12 people · 15 unanswered (25%)');
    expect(ui.text()).toContain('9 up, 4 down — wrong 1, outdated 3');
  });

  it('says when the gaps are grouped by their words, not by meaning', async () => {
    panel = await open({
      prepare: (service) => (service.insights = { ...seeded(), gapsGroupedBy: 'words' }),
    });
    const caption =
      'Content gaps: unanswered and rated-down questions, grouped by their words (no embedding model answered)';
    expect(panel.ui.tableRows(caption)).toHaveLength(2);
  });

  it('asks for another period when the admin picks one', async () => {
    panel = await open({ prepare: (service) => (service.insights = seeded()) });
    const { ui, service } = panel;
    ui.click('7 days');
    await ui.waitFor(
      () => service.requests.some((r) => r.path === '/api/v1/admin/insights?days=7'),
      'the 7-day insights to be asked for',
    );
    await ui.waitFor(
      () => ui.button('7 days').props.appearance === 'primary',
      'the period to be shown as chosen',
    );
  });

  it('says insights are off when the service keeps no history', async () => {
    expectConsoleWarn('insights failed for account acc-admin: not_found');
    panel = await open({ prepare: (service) => (service.history = 'off') });
    expect(panel.ui.text()).toContain('insights are off on this service');
    expect(panel.ui.all('LineChart')).toHaveLength(0);
  });
});
