import {
  Box,
  Button,
  Checkbox,
  DynamicTable,
  Heading,
  Inline,
  Label,
  LoadingButton,
  Lozenge,
  ProgressBar,
  RadioGroup,
  SectionMessage,
  Spinner,
  Stack,
  Text,
  Textfield,
} from '@forge/react';
import type { IndexStatus, Job, JobState, SyncSource } from '@kb/contracts';
import { useState, type ReactNode } from 'react';
import { FailureMessage } from './chat-panel';
import { InsightsSection } from './insights-section';
import type { Admin } from './use-admin';
import type { InsightsState } from './use-insights';

/**
 * The admin page: what is indexed, a reindex form, the running job's progress and the recent jobs, then
 * what people ask and what the knowledge base cannot answer.
 */
export function AdminPage({ admin, insights }: { admin: Admin; insights?: InsightsState }) {
  if (admin.refused) {
    return (
      <SectionMessage appearance="warning" title="Admins only">
        <Text>{admin.refused.message}</Text>
      </SectionMessage>
    );
  }
  if (admin.loading) return <Spinner label="Loading the index status" />;
  return (
    <Stack space="space.300">
      <Heading size="medium">Knowledge assistant</Heading>
      {admin.failure && <FailureMessage failure={admin.failure} />}
      {admin.status?.notices.map((notice) => (
        // What the service cannot do until an admin acts (e.g. its Confluence account is not an admin).
        <SectionMessage key={notice} appearance="warning" title="Needs an admin">
          <Text>{notice}</Text>
        </SectionMessage>
      ))}
      {admin.status && <StatusSection status={admin.status} />}
      {admin.activeJob && <JobProgressSection admin={admin} job={admin.activeJob} />}
      {admin.status && <ReindexForm admin={admin} status={admin.status} />}
      <RecentJobs jobs={admin.jobs} />
      {insights && <InsightsSection state={insights} />}
    </Stack>
  );
}

function StatusSection({ status }: { status: IndexStatus }) {
  return (
    <Stack space="space.100">
      <Heading size="small">Index</Heading>
      <Text>
        {status.documents} documents, {status.chunks} chunks · last sync {when(status.lastSyncAt)} · store{' '}
        {status.store.kind} · embeddings {status.embeddings}
      </Text>
      <DynamicTable
        caption="Indexed sources"
        head={{ cells: ['Source', 'Space', 'Documents', 'Chunks', 'Last sync'].map(headCell) }}
        rows={status.bySource.map((s) => ({
          key: `${s.source}:${s.spaceKey ?? ''}`,
          cells: cellsOf([
            s.source,
            s.spaceKey ?? '—',
            String(s.documents),
            String(s.chunks),
            when(s.lastSyncAt),
          ]),
        }))}
        emptyView={<Text>Nothing indexed yet.</Text>}
      />
    </Stack>
  );
}

function JobProgressSection({ admin, job }: { admin: Admin; job: Job }) {
  const p = job.progress;
  const running = job.state === 'queued' || job.state === 'running';
  return (
    <Stack space="space.100">
      <Heading size="small">Current job</Heading>
      <Inline space="space.100" alignBlock="center">
        <StateLozenge state={job.state} />
        <Text>
          {job.source}
          {job.spaceKeys.length ? ` (${job.spaceKeys.join(', ')})` : ''} · {job.full ? 'full' : 'incremental'}
        </Text>
      </Inline>
      <ProgressBar
        ariaLabel="Reindex progress"
        value={p.discovered ? Math.min(1, p.processed / p.discovered) : 0}
        isIndeterminate={running && p.discovered === 0}
        appearance={job.state === 'succeeded' ? 'success' : 'default'}
      />
      <Text>
        {p.processed} of {p.discovered} processed · {p.indexed} indexed · {p.unchanged} unchanged ·{' '}
        {p.deleted} deleted · {p.failed} failed · {p.chunks} chunks
      </Text>
      {job.error && <Text>Error: {job.error}</Text>}
      {running && (
        <Box>
          <LoadingButton appearance="warning" isLoading={admin.cancelling} onClick={admin.cancel}>
            Cancel job
          </LoadingButton>
        </Box>
      )}
    </Stack>
  );
}

const SOURCES: { name: SyncSource; label: string }[] = [
  { name: 'confluence', label: 'Confluence' },
  { name: 's3', label: 'S3 bucket' },
  { name: 'files', label: 'Documents folder' },
];

/** Space keys the admin typed, split on commas and spaces; invalid ones are shown, not sent. */
function typedSpaceKeys(text: string): { valid: string[]; invalid: string[] } {
  const keys = text.split(/[\s,]+/).filter(Boolean);
  const ok = (key: string): boolean => /^[A-Za-z0-9~_-]{1,255}$/.test(key);
  return { valid: keys.filter(ok), invalid: keys.filter((k) => !ok(k)) };
}

function ReindexForm({ admin, status }: { admin: Admin; status: IndexStatus }) {
  const knownSpaces = [
    ...new Set(
      status.bySource.filter((s) => s.source === 'confluence' && s.spaceKey).map((s) => s.spaceKey!),
    ),
  ].sort();
  // The sources the service can sync; a service too old to say offers the two it always had.
  const offered = SOURCES.filter((s) =>
    status.sources.length ? status.sources.includes(s.name) : s.name !== 's3',
  );
  const canConfluence = offered.some((s) => s.name === 'confluence');
  const [source, setSource] = useState<SyncSource>(
    knownSpaces.length && canConfluence
      ? 'confluence'
      : ((offered.find((s) => s.name !== 'confluence') ?? offered[0])?.name ?? 'files'),
  );
  const [chosen, setChosen] = useState<string[]>([]);
  const [otherSpaces, setOtherSpaces] = useState('');
  const [full, setFull] = useState(false);
  const typed = typedSpaceKeys(otherSpaces);
  const spaceKeys = [...new Set([...chosen, ...typed.valid])];
  const busy =
    admin.starting || (admin.activeJob !== null && ['queued', 'running'].includes(admin.activeJob.state));

  const toggle = (key: string, on: boolean): void =>
    setChosen((keys) => (on ? [...keys, key] : keys.filter((k) => k !== key)));

  return (
    <Stack space="space.100">
      <Heading size="small">Reindex</Heading>
      <Label labelFor="kb-source">Source</Label>
      <RadioGroup
        name="kb-source"
        value={source}
        options={offered.map((s) => ({ name: 'source', value: s.name, label: s.label }))}
        onChange={(event) => {
          setSource(offered.find((s) => s.name === event.target.value)?.name ?? 'confluence');
        }}
      />
      {source === 'confluence' && (
        <Stack space="space.050">
          <Text>Spaces (none chosen: every space the service is set to index)</Text>
          {knownSpaces.map((key) => (
            <Checkbox
              key={key}
              label={key}
              value={key}
              isChecked={chosen.includes(key)}
              onChange={(event) => {
                toggle(key, Boolean(event.target.checked));
              }}
            />
          ))}
          <Label labelFor="kb-other-spaces">Other space keys</Label>
          <Textfield
            id="kb-other-spaces"
            placeholder="ENG, SUPPORT"
            value={otherSpaces}
            isInvalid={typed.invalid.length > 0}
            onChange={(event) => {
              setOtherSpaces(String(event.target.value ?? ''));
            }}
          />
          {typed.invalid.length > 0 && <Text>Not a space key: {typed.invalid.join(', ')}</Text>}
        </Stack>
      )}
      <Checkbox
        label="Full reindex (rebuild everything instead of syncing what changed)"
        isChecked={full}
        onChange={(event) => {
          setFull(Boolean(event.target.checked));
        }}
      />
      <Inline space="space.100">
        <LoadingButton
          appearance="primary"
          isLoading={admin.starting}
          isDisabled={busy || typed.invalid.length > 0}
          onClick={() => {
            admin.reindex({
              source,
              full,
              ...(source === 'confluence' && spaceKeys.length ? { spaceKeys } : {}),
            });
          }}
        >
          Start reindex
        </LoadingButton>
        <Button appearance="subtle" onClick={admin.refresh}>
          Refresh
        </Button>
      </Inline>
    </Stack>
  );
}

function RecentJobs({ jobs }: { jobs: Job[] }) {
  return (
    <Stack space="space.100">
      <Heading size="small">Recent jobs</Heading>
      <DynamicTable
        caption="Recent jobs"
        head={{ cells: ['Started', 'Source', 'Spaces', 'Mode', 'State', 'Processed', 'Error'].map(headCell) }}
        rows={jobs.map((job) => ({
          key: job.id,
          cells: cellsOf([
            when(job.startedAt),
            job.source,
            job.spaceKeys.join(', ') || 'all',
            job.full ? 'full' : 'incremental',
            <StateLozenge state={job.state} />,
            `${String(job.progress.processed)} / ${String(job.progress.discovered)}`,
            job.error ?? '',
          ]),
        }))}
        emptyView={<Text>No jobs yet.</Text>}
      />
    </Stack>
  );
}

const LOZENGE: Record<JobState, 'default' | 'inprogress' | 'success' | 'removed' | 'moved'> = {
  queued: 'default',
  running: 'inprogress',
  succeeded: 'success',
  failed: 'removed',
  cancelled: 'moved',
};

function StateLozenge({ state }: { state: JobState }) {
  return <Lozenge appearance={LOZENGE[state]}>{state}</Lozenge>;
}

function headCell(label: string) {
  return { key: label.toLowerCase(), content: label };
}

function cellsOf(contents: ReactNode[]) {
  return contents.map((content, i) => ({ key: String(i), content }));
}

function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : 'never';
}
