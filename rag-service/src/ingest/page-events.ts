import type { Logger } from 'pino';
import type { DocumentRecord, VectorStore } from '../store/vector-store.js';
import type { Indexer } from './indexer.js';
import type { ConfluenceSource } from './sources/confluence.js';
import { indexedHash } from './conversion-version.js';

/** What an event asks of one page: bring it in line with Confluence, or only forget who may see it. */
export type PageEventAction = 'sync' | 'permissions';

/** One Confluence event as the Forge trigger forwards it, reduced to what the index needs. */
export interface PageEvent {
  /** `avi:confluence:updated:page` and the like. */
  eventType: string;
  contentId: string;
  kind: 'page' | 'blogpost';
  /** The space the payload names, when it names one: lets out-of-scope events go without a call. */
  spaceKey?: string;
  /** For a move, the space it came from (a page moved out of an indexed space must leave the index). */
  previousSpaceKey?: string;
}

/** How one page's sync ended. */
export type PageSyncOutcome = 'indexed' | 'unchanged' | 'removed' | 'out_of_scope' | 'failed';

export interface PageEventDeps {
  /** A fresh Confluence source for one round of page syncs (it keeps per-run state). */
  source: () => ConfluenceSource;
  store: VectorStore;
  indexer: Indexer;
  /** CONFLUENCE_SPACES: the spaces indexed; empty means every space. */
  spaces: readonly string[];
  /** Drops the cached access decisions (a page's permissions changed, and so may its descendants'). */
  forgetDecisions: () => void;
  log: Logger;
  /**
   * The Confluence reindex running now, if any (resolves when it ends). A round waits for it: the job may
   * have listed a page before the event's edit, and would write that older version back after the event.
   */
  reindexRunning?: () => Promise<{ finished: Promise<unknown> } | undefined>;
  /** Told how each event was taken and how each page sync ended (metrics). */
  onEvent?: (eventType: string, outcome: 'queued' | 'ignored') => void;
  onSync?: (outcome: PageSyncOutcome) => void;
  /** How long to gather a burst of events before syncing: the pages of one burst are synced once. */
  coalesceMs?: number;
  /** Pages synced at once within a round. */
  concurrency?: number;
}

const DEFAULT_COALESCE_MS = 250;
const DEFAULT_CONCURRENCY = 2;

/**
 * Keeps the index fresh from Confluence's page events, page by page and without listing a space: a created,
 * updated, moved or restored page is fetched on its own and re-indexed if its version changed; a trashed or
 * deleted one (or one moved out of the indexed spaces) leaves the index with its attachments; a
 * permissions change drops the access decisions cached for that page. A burst of events for a page costs
 * one sync. A page whose sync fails is logged and counted, and the next event or the scheduled sync
 * brings it in line — nothing here is the only copy of anything.
 */
export class PageEventQueue {
  /** Pages waiting for the next round, by document id; the latest event decides nothing but the page. */
  private readonly pending = new Map<string, { kind: PageEvent['kind']; id: string }>();
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private readonly stop = new AbortController();
  private readonly coalesceMs: number;

  constructor(private readonly deps: PageEventDeps) {
    this.coalesceMs = deps.coalesceMs ?? DEFAULT_COALESCE_MS;
  }

  /** Takes one event; returns whether it will change anything. Never throws, never waits for Confluence. */
  accept(event: PageEvent, action: PageEventAction): 'queued' | 'ignored' {
    const { spaces } = this.deps;
    // Out of scope only when every space the payload names is one not indexed (a move may leave one).
    const named = [event.spaceKey, event.previousSpaceKey].filter((k): k is string => !!k);
    if (spaces.length && named.length && named.every((k) => !spaces.includes(k))) {
      this.deps.onEvent?.(event.eventType, 'ignored');
      return 'ignored';
    }
    if (action === 'permissions') {
      // Who may see the page (and the pages below it) changed, not what it says: ask Confluence afresh.
      this.deps.forgetDecisions();
    } else {
      this.pending.set(`confluence:${event.kind}:${event.contentId}`, {
        kind: event.kind,
        id: event.contentId,
      });
      this.schedule();
    }
    this.deps.onEvent?.(event.eventType, 'queued');
    return 'queued';
  }

  /**
   * Resolves once every page queued so far has been synced (or has failed): for tests and shutdown. Whoever
   * waits for that wants it now, so a burst still gathering starts its round at once.
   */
  async settled(): Promise<void> {
    while (this.round || this.pending.size) {
      if (!this.round) this.startRound();
      await this.round;
    }
  }

  /** Stops taking rounds; a round in progress is aborted. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.pending.clear();
    this.stop.abort(new Error('the service is stopping'));
    await this.round?.catch(() => undefined);
  }

  private schedule(): void {
    // Measured from the first event of a burst, not the last: a steady stream of edits still syncs in time.
    if (this.timer || this.round || this.stop.signal.aborted) return;
    this.timer = setTimeout(() => this.startRound(), this.coalesceMs);
    this.timer.unref();
  }

  private startRound(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.round = this.runRound().finally(() => {
      this.round = undefined;
      if (this.pending.size) this.schedule();
    });
  }

  private async runRound(): Promise<void> {
    for (let job = await this.deps.reindexRunning?.(); job; job = await this.deps.reindexRunning?.()) {
      if (this.stop.signal.aborted) return;
      await untilDoneOrAborted(job.finished, this.stop.signal);
    }
    const pages = [...this.pending.values()];
    this.pending.clear();
    const source = this.deps.source();
    let records: Map<string, DocumentRecord>;
    try {
      records = new Map((await this.deps.store.listDocuments('confluence')).map((d) => [d.id, d]));
    } catch (err) {
      this.failed(pages.length, err);
      return;
    }
    let next = 0;
    const worker = async () => {
      while (next < pages.length && !this.stop.signal.aborted) {
        const page = pages[next++]!;
        const outcome = await this.syncPage(source, records, page).catch((err: unknown) => {
          this.deps.log.warn(
            { page: page.id, err: (err as Error).message },
            'page event: the page could not be synced; the next event or scheduled sync will retry it',
          );
          return 'failed' as const;
        });
        this.deps.onSync?.(outcome);
      }
    };
    const concurrency = Math.min(this.deps.concurrency ?? DEFAULT_CONCURRENCY, pages.length);
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  private failed(pages: number, err: unknown): void {
    this.deps.log.warn({ pages, err: (err as Error).message }, 'page events: the index could not be read');
    for (let i = 0; i < pages; i++) this.deps.onSync?.('failed');
  }

  private async syncPage(
    source: ConfluenceSource,
    records: ReadonlyMap<string, DocumentRecord>,
    page: { kind: PageEvent['kind']; id: string },
  ): Promise<PageSyncOutcome> {
    const signal = this.stop.signal;
    const now = await source.current(page.kind, page.id, signal);
    const { spaces } = this.deps;
    const id = `confluence:${page.kind}:${page.id}`;
    // The page's own attachments; a blog post's record also carries its id as pageId, so the kind counts.
    const attachments = [...records.values()]
      .filter((d) => d.pageId === page.id && d.id.startsWith('confluence:attachment:'))
      .map((d) => d.id);
    if (now.state === 'gone' || (spaces.length && !spaces.includes(now.spaceKey))) {
      // Only what the index holds under this id goes: an event naming an id as the wrong kind deletes nothing.
      if (!records.has(id)) return now.state === 'gone' ? 'removed' : 'out_of_scope';
      await this.deps.store.deleteDocuments([id, ...attachments]);
      return now.state === 'gone' ? 'removed' : 'out_of_scope';
    }
    const { item } = now;
    const record = records.get(item.id);
    const moved = record !== undefined && record.spaceKey !== now.spaceKey;
    // A move need not change the version: a page in another space is re-indexed under its new space (its
    // chunks carry space and breadcrumb), and its attachments are dropped for the next sync to add afresh.
    if (moved && attachments.length) await this.deps.store.deleteDocuments(attachments);
    if (record?.hash === indexedHash(item.hash) && !moved) return 'unchanged';
    const doc = {
      id: item.id,
      source: 'confluence' as const,
      hash: item.hash,
      loaded: await item.load(signal),
    };
    const chunks = await this.deps.indexer.writeNow(doc, await this.deps.indexer.chunk(doc), signal);
    this.deps.log.info({ document: item.id, chunks }, 'page event: page re-indexed');
    return 'indexed';
  }
}

/** Resolves when the work ends, however it ends, or when the signal aborts; never rejects. */
async function untilDoneOrAborted(work: Promise<unknown>, signal: AbortSignal): Promise<void> {
  let onAbort = () => {};
  const abort = new Promise<void>((resolve) => (onAbort = resolve));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([work.catch(() => undefined), abort]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
