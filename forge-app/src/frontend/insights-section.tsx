import {
  Button,
  ButtonGroup,
  DynamicTable,
  Heading,
  Inline,
  LineChart,
  SectionMessage,
  Spinner,
  Stack,
  Text,
} from '@forge/react';
import type { Insights } from '@kb/contracts';
import { INSIGHTS_PERIODS, type InsightsState } from './use-insights';

const REASON_LABELS: Record<keyof Insights['feedback']['reasons'], string> = {
  wrong: 'wrong',
  outdated: 'outdated',
  incomplete: 'incomplete',
  not_relevant: 'not relevant',
  other: 'other',
};

const percent = (part: number, whole: number): string =>
  whole ? `${Math.round((100 * part) / whole)}%` : '–';

/**
 * What people asked and what the knowledge base could not answer: the admin's to-do list. Questions and
 * unanswered questions per day as a chart, the content gaps (unanswered or rated-down questions grouped by
 * meaning, biggest first), the most cited sources and the feedback.
 */
export function InsightsSection({ state }: { state: InsightsState }) {
  return (
    <Stack space="space.150">
      <Inline space="space.100" alignBlock="center" spread="space-between">
        <Heading size="small">Insights</Heading>
        <ButtonGroup label="Period">
          {INSIGHTS_PERIODS.map((days) => (
            <Button
              key={days}
              appearance={days === state.days ? 'primary' : 'default'}
              onClick={() => state.choose(days)}
            >
              {`${days} days`}
            </Button>
          ))}
        </ButtonGroup>
      </Inline>
      <InsightsBody state={state} />
    </Stack>
  );
}

function InsightsBody({ state }: { state: InsightsState }) {
  if (state.loading && !state.insights) return <Spinner label="Loading the insights" />;
  if (state.failure) {
    return (
      <SectionMessage appearance="information" title="No insights">
        <Text>{state.failure.message}</Text>
      </SectionMessage>
    );
  }
  const insights = state.insights;
  if (!insights) return null;
  const { totals, feedback } = insights;
  return (
    <Stack space="space.200">
      <Text>
        {totals.questions} questions in {totals.conversations} conversations from {totals.users} people ·{' '}
        {totals.unanswered} unanswered ({percent(totals.unanswered, totals.questions)}) · {feedback.up} rated
        up, {feedback.down} rated down
      </Text>
      <LineChart
        title="Questions per day"
        data={insights.perDay.flatMap((d) => [
          { date: d.date, count: d.questions, series: 'questions' },
          { date: d.date, count: d.unanswered, series: 'unanswered' },
        ])}
        xAccessor="date"
        yAccessor="count"
        colorAccessor="series"
      />
      <Heading size="xsmall">What the knowledge base cannot answer</Heading>
      {insights.gaps.length ? (
        <DynamicTable
          caption={`Content gaps: unanswered and rated-down questions, grouped by ${insights.gapsGroupedBy === 'meaning' ? 'meaning' : 'their words (no embedding model answered)'}`}
          head={{
            cells: [
              { key: 'question', content: 'Question' },
              { key: 'count', content: 'Asked' },
              { key: 'why', content: 'Unanswered / rated down' },
              { key: 'last', content: 'Last asked' },
            ],
          }}
          rows={insights.gaps.map((gap) => ({
            key: gap.id,
            cells: [
              {
                key: 'question',
                content: gap.examples.length
                  ? `${gap.representative} (also: ${gap.examples.join(' · ')})`
                  : gap.representative,
              },
              { key: 'count', content: String(gap.count) },
              { key: 'why', content: `${gap.unanswered} / ${gap.ratedDown}` },
              { key: 'last', content: gap.lastAskedAt.slice(0, 10) },
            ],
          }))}
        />
      ) : (
        <Text>Every question of the period found an answer, and none was rated down.</Text>
      )}
      <Heading size="xsmall">Most cited sources</Heading>
      {insights.topSources.length ? (
        <DynamicTable
          caption="Most cited sources"
          head={{
            cells: [
              { key: 'title', content: 'Source' },
              { key: 'citations', content: 'Cited' },
            ],
          }}
          rows={insights.topSources.map((s) => ({
            key: s.id,
            cells: [
              { key: 'title', content: s.title },
              { key: 'citations', content: String(s.citations) },
            ],
          }))}
        />
      ) : (
        <Text>No answer of the period cited a source yet.</Text>
      )}
      <Heading size="xsmall">Feedback</Heading>
      <Text>
        {feedback.up} up, {feedback.down} down
        {feedback.down
          ? ` — ${Object.entries(feedback.reasons)
              .filter(([, n]) => n > 0)
              .map(([reason, n]) => `${REASON_LABELS[reason as keyof typeof REASON_LABELS]} ${n}`)
              .join(', ')}`
          : ''}
      </Text>
    </Stack>
  );
}
