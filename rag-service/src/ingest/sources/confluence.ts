import type { createV2Client } from 'confluence.js/v2';
import { confluenceV2 } from '../../net/lazy-clients.js';
import { convertInWorker } from '../convert/text-converter.js';
import { convertDocument } from '../convert/index.js';
import { detectFormat } from '../file-type.js';
import { withRetry, type RetryPolicy } from '../../net/retry.js';
import { RateGate } from './rate-gate.js';
import type { DocumentRecord } from '../../store/vector-store.js';
import type { DocumentSourceAdapter, LoadedDocument, SourceItem } from './source.js';
import { nextCursor } from '../../net/next-cursor.js';

export interface ConfluenceOptions {
  /** Site root, e.g. https://example.atlassian.net (no /wiki). */
  url: string;
  username: string;
  apiToken: string;
  /** Space keys to index; empty means every space the account can read. */
  spaceKeys: readonly string[];
  /** Calls per second and in flight; Atlassian's Cloud limits are per user and per site. */
  perSecond?: number;
  concurrency?: number;
  retry?: RetryPolicy;
}

/** A listing or fetch that failed for a reason the operator must fix; the job fails with this message. */
export class ConfluenceSourceError extends Error {
  override readonly name = 'ConfluenceSourceError';

  constructor(
    message: string,
    /** Confluence's HTTP status, when it answered with one. */
    readonly status?: number,
  ) {
    super(message);
  }
}

interface Space {
  id: string;
  key: string;
  name: string;
}

interface Content {
  id: string;
  title: string;
  parentId?: string | null;
  kind: 'page' | 'blogpost';
  version: number;
  webui?: string;
}

interface Page<T> {
  results?: T[];
  _links?: { next?: string; base?: string };
}

const PAGE_SIZE = 250;
const RETRY: RetryPolicy = {
  attempts: 8,
  rateLimitAttempts: 100,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  attemptTimeoutMs: 60_000,
};
/** The first call: a site that cannot be reached at all is a configuration error, reported quickly. */
const FIRST_CALL: RetryPolicy = { ...RETRY, networkAttempts: 3, maxDelayMs: 2000, attemptTimeoutMs: 20_000 };
/** Attachments that hold text worth indexing, by media type; larger files are left out. */
export const TEXT_ATTACHMENT_TYPES = ['application/pdf', 'text/markdown', 'text/plain'];
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;

interface Attachment {
  id?: string;
  title?: string;
  pageId?: string;
  blogPostId?: string;
  mediaType?: string;
  fileSize?: number;
  webuiLink?: string;
  downloadLink?: string;
  version?: { number?: number } | null;
}

/** One page on an event: a few quick tries; a page that still fails is left to the next event or sync. */
const EVENT_RETRY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 300,
  maxDelayMs: 5000,
  attemptTimeoutMs: 20_000,
};
/** Deeper page trees than this are cut short in a breadcrumb built from an event (Confluence nests ~20). */
const MAX_EVENT_ANCESTORS = 25;

/** One page or blog post as it stands now, fetched on its own (an event named it). */
export type CurrentContent =
  | { state: 'current'; item: SourceItem; spaceKey: string }
  /** Trashed, deleted, or no longer readable by the service's account: it leaves the index. */
  | { state: 'gone' };

/** From this many changed pages in a space, re-listing the space with bodies beats one request per page. */
const BULK_THRESHOLD = 20;

function explain(err: unknown, site: string): Error {
  const e = err as { status?: number; message?: string; cause?: { code?: string } };
  // Our AppError carries the upstream status in its details; its own status is the HTTP one we answer with.
  const status = (err as { details?: { status?: number } }).details?.status ?? e.status;
  if (status === 401)
    return new ConfluenceSourceError(
      `Confluence at ${site} rejected the credentials (401): check CONFLUENCE_USERNAME and CONFLUENCE_API_TOKEN`,
      401,
    );
  if (status === 403)
    return new ConfluenceSourceError(`the Confluence account may not read this content (403)`, 403);
  if (status === 404)
    return new ConfluenceSourceError(
      `Confluence at ${site} answered 404: check CONFLUENCE_URL (the site root, without /wiki)`,
      404,
    );
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Confluence Cloud through the official v2 REST API (confluence.js): pages and blog posts of the chosen
 * spaces. Listing asks only for ids, titles, parents and version numbers — bodies are fetched only for
 * what changed — and breadcrumbs are built from the listing's parent ids, without extra calls.
 */
export class ConfluenceSource implements DocumentSourceAdapter {
  readonly name = 'confluence' as const;
  /** Set once confluence.js is loaded (`ready`): every request goes through `call`, which waits for it. */
  private client!: ReturnType<typeof createV2Client>;
  private readonly ready: Promise<void>;
  private readonly gate: RateGate;
  private readonly retry: RetryPolicy;
  private base: string;
  private listedSpaces = new Set<string>();
  /** Bodies fetched in bulk by `prefetch`, by content id and version; `load` takes them from here. */
  private readonly bodies = new Map<
    string,
    { version: number; title: string; storage: string; webui?: string }
  >();
  private readonly spaceOf = new Map<string, { space: Space; content: Content }>();
  /** The site's text attachments, listed once per sync (the API lists them site-wide, by media type). */
  private siteAttachments?: Promise<Attachment[]>;

  constructor(private readonly options: ConfluenceOptions) {
    this.ready = confluenceV2().then(({ createV2Client }) => {
      this.client = createV2Client({
        host: options.url,
        auth: { type: 'basic', email: options.username, apiToken: options.apiToken },
        retry: { maxAttempts: 1 },
      });
    });
    // A failed load is every request's error (they wait on `ready`), never an unhandled rejection.
    this.ready.catch(() => undefined);
    this.gate = new RateGate(options.perSecond ?? 10, options.concurrency ?? 4);
    this.retry = options.retry ?? RETRY;
    this.base = `${options.url.replace(/\/+$/, '')}/wiki`;
  }

  private call<T>(
    what: string,
    operation: () => Promise<T>,
    signal?: AbortSignal,
    policy = this.retry,
  ): Promise<T> {
    return withRetry(() => this.ready.then(() => this.gate.run(operation)), {
      policy,
      what: `Confluence (${what})`,
      signal,
      onRetry: (_attempt, delayMs, failure) => {
        if (failure.status === 429) this.gate.pause(delayMs);
      },
    }).catch((err: unknown) => {
      throw explain(err, this.options.url);
    });
  }

  private async all<T>(
    what: string,
    fetchPage: (cursor?: string) => Promise<Page<T>>,
    signal?: AbortSignal,
    policy?: RetryPolicy,
  ): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      signal?.throwIfAborted();
      const page = await this.call(
        what,
        () => fetchPage(cursor),
        signal,
        items.length ? this.retry : (policy ?? this.retry),
      );
      items.push(...(page.results ?? []));
      if (page._links?.base) this.base = page._links.base;
      cursor = nextCursor(page._links?.next);
    } while (cursor);
    return items;
  }

  private async spaces(signal?: AbortSignal): Promise<Space[]> {
    const keys = [...this.options.spaceKeys];
    const found = await this.all<{ id?: string; key?: string; name?: string }>(
      'spaces',
      (cursor) =>
        this.client.space.getSpaces({
          ...(keys.length ? { keys } : {}),
          cursor,
          limit: PAGE_SIZE,
        }),
      signal,
      FIRST_CALL,
    );
    const spaces = found
      .filter((s): s is Space => !!s.id && !!s.key)
      .map((s) => ({ id: s.id, key: s.key, name: s.name || s.key }));
    const missing = keys.filter((k) => !spaces.some((s) => s.key === k));
    if (missing.length) {
      throw new ConfluenceSourceError(
        `Confluence space${missing.length > 1 ? 's' : ''} not found or not readable by this account: ${missing.join(', ')}`,
      );
    }
    return spaces;
  }

  /** Every current page or blog post of a space, listing page by listing page; with bodies when asked. */
  private listKind<T>(
    space: Space,
    kind: Content['kind'],
    withBodies: boolean,
    signal?: AbortSignal,
  ): Promise<T[]> {
    const id = Number(space.id);
    const params = (cursor?: string) => ({
      id,
      cursor,
      limit: PAGE_SIZE,
      status: ['current'],
      ...(withBodies ? { bodyFormat: 'storage' } : {}),
    });
    const what = `${kind === 'page' ? 'pages' : 'blog posts'}${withBodies ? ' with bodies' : ''}`;
    return this.all<T>(
      what,
      (cursor) =>
        (kind === 'page'
          ? this.client.page.getPagesInSpace(params(cursor))
          : this.client.blogPost.getBlogPostsInSpace(params(cursor))) as Promise<Page<T>>,
      signal,
    );
  }

  private async contents(space: Space, signal?: AbortSignal): Promise<Content[]> {
    type Listed = {
      id?: string;
      title?: string;
      parentId?: string | null;
      version?: { number?: number } | null;
      _links?: { webui?: string };
    };
    const map =
      (kind: Content['kind']) =>
      (r: Listed): Content => ({
        id: String(r.id),
        title: r.title ?? '(untitled)',
        parentId: r.parentId,
        kind,
        version: r.version?.number ?? 0,
        webui: r._links?.webui,
      });
    const pages = await this.listKind<Listed>(space, 'page', false, signal);
    const posts = await this.listKind<Listed>(space, 'blogpost', false, signal);
    return [...pages.map(map('page')), ...posts.map(map('blogpost'))];
  }

  /**
   * One page or blog post, fetched by id with its body, its space and its ancestors' titles — without
   * listing anything: what an event about a single page needs. Trashed or deleted content is `gone`.
   */
  async current(kind: Content['kind'], id: string, signal?: AbortSignal): Promise<CurrentContent> {
    type Fetched = {
      id?: string;
      status?: string;
      title?: string;
      spaceId?: string;
      parentId?: string | null;
      parentType?: string | null;
      version?: { number?: number } | null;
      body?: { storage?: { value?: string } | null } | null;
      _links?: { webui?: string };
    };
    const fetch = (withBody: boolean, contentId: string, what: Content['kind']) =>
      this.call(
        what,
        () =>
          (what === 'page'
            ? this.client.page.getPageById({
                id: Number(contentId),
                ...(withBody ? { bodyFormat: 'storage' } : {}),
              })
            : this.client.blogPost.getBlogPostById({
                id: Number(contentId),
                ...(withBody ? { bodyFormat: 'storage' } : {}),
              })) as Promise<Fetched>,
        signal,
        EVENT_RETRY,
      );
    let full: Fetched;
    try {
      full = await fetch(true, id, kind);
    } catch (err) {
      if (err instanceof ConfluenceSourceError && /\(40[34]\)|answered 404/.test(err.message))
        return { state: 'gone' };
      throw err;
    }
    if (full.status !== 'current' || !full.spaceId) return { state: 'gone' };
    const found = await this.call(
      'space',
      () => this.client.space.getSpaceById({ id: Number(full.spaceId) }),
      signal,
      EVENT_RETRY,
    );
    const space: Space = {
      id: String(found.id),
      key: found.key ?? '',
      name: found.name || (found.key ?? ''),
    };
    const ancestors: string[] = [];
    // Pages above, for the breadcrumb. A parent that is not a page (a folder, a whiteboard) or cannot be
    // read ends the breadcrumb there: the page itself is what must reach the index.
    let parent = full.parentType && full.parentType !== 'page' ? undefined : full.parentId;
    while (parent && ancestors.length < MAX_EVENT_ANCESTORS) {
      let above: Fetched;
      try {
        above = await fetch(false, parent, 'page');
      } catch (err) {
        if (signal?.aborted) throw err;
        break;
      }
      ancestors.unshift(above.title ?? '(untitled)');
      parent = above.parentType && above.parentType !== 'page' ? undefined : above.parentId;
    }
    const version = full.version?.number ?? 0;
    const content: Content = {
      id,
      title: full.title ?? '(untitled)',
      kind,
      version,
      webui: full._links?.webui,
    };
    this.bodies.set(id, {
      version,
      title: content.title,
      storage: full.body?.storage?.value ?? '',
      webui: full._links?.webui,
    });
    return {
      state: 'current',
      spaceKey: space.key,
      item: {
        id: `confluence:${kind}:${id}`,
        hash: `v${version}`,
        load: (s) => this.load(space, content, ancestors, s),
      },
    };
  }

  covers(record: DocumentRecord): boolean {
    return record.spaceKey !== undefined && this.listedSpaces.has(record.spaceKey);
  }

  async list(signal?: AbortSignal): Promise<SourceItem[]> {
    const items: SourceItem[] = [];
    const spaces = await this.spaces(signal);
    this.listedSpaces = new Set(spaces.map((s) => s.key));
    this.siteAttachments = undefined;
    for (const space of spaces) {
      const contents = await this.contents(space, signal);
      const byId = new Map(contents.map((c) => [c.id, c]));
      const ancestors = (c: Content): string[] => {
        const path: string[] = [];
        const seen = new Set<string>();
        for (
          let p = c.parentId ? byId.get(c.parentId) : undefined;
          p && !seen.has(p.id);
          p = p.parentId ? byId.get(p.parentId) : undefined
        ) {
          seen.add(p.id);
          path.unshift(p.title);
        }
        return path;
      };
      for (const a of await this.attachments(contents, signal)) {
        const parent = byId.get(a.pageId ?? a.blogPostId ?? '')!;
        items.push({
          id: `confluence:attachment:${String(a.id)}`,
          hash: `v${a.version?.number ?? 0}`,
          load: (s) => this.loadAttachment(space, parent, [...ancestors(parent), parent.title], a, s),
        });
      }
      for (const c of contents) {
        this.spaceOf.set(`confluence:${c.kind}:${c.id}`, { space, content: c });
        items.push({
          id: `confluence:${c.kind}:${c.id}`,
          // The version number changes with every edit, so listing alone tells what changed.
          hash: `v${c.version}`,
          load: (s) => this.load(space, c, ancestors(c), s),
        });
      }
    }
    return items;
  }

  async prefetch(items: readonly SourceItem[], signal?: AbortSignal): Promise<void> {
    type Listed = {
      id?: string;
      title?: string;
      version?: { number?: number } | null;
      body?: { storage?: { value?: string } | null } | null;
      _links?: { webui?: string };
    };
    const bySpace = new Map<Space, Set<Content['kind']>>();
    const count = new Map<Space, number>();
    for (const item of items) {
      const at = this.spaceOf.get(item.id);
      if (!at) continue;
      count.set(at.space, (count.get(at.space) ?? 0) + 1);
      bySpace.set(at.space, (bySpace.get(at.space) ?? new Set()).add(at.content.kind));
    }
    for (const [space, kinds] of bySpace) {
      if ((count.get(space) ?? 0) < BULK_THRESHOLD) continue;
      const keep = (r: Listed) => {
        if (r.id && r.body?.storage?.value !== undefined) {
          this.bodies.set(r.id, {
            version: r.version?.number ?? 0,
            title: r.title ?? '',
            storage: r.body.storage.value ?? '',
            webui: r._links?.webui,
          });
        }
      };
      for (const kind of kinds) (await this.listKind<Listed>(space, kind, true, signal)).forEach(keep);
    }
  }

  /** Text attachments (PDF, Markdown, plain text; size-capped) of the given pages and blog posts. */
  private async attachments(contents: Content[], signal?: AbortSignal): Promise<Attachment[]> {
    this.siteAttachments ??= (async () => {
      const all: Attachment[] = [];
      for (const mediaType of TEXT_ATTACHMENT_TYPES) {
        all.push(
          ...(await this.all<Attachment>(
            'attachments',
            (cursor) =>
              this.client.attachment.getAttachments({
                mediaType,
                cursor,
                limit: PAGE_SIZE,
                status: ['current'],
              }),
            signal,
          )),
        );
      }
      return all;
    })();
    const ids = new Set(contents.map((c) => c.id));
    return (await this.siteAttachments).filter(
      (a) =>
        a.id &&
        a.downloadLink &&
        (a.fileSize ?? 0) <= MAX_ATTACHMENT_BYTES &&
        ids.has(a.pageId ?? a.blogPostId ?? ''),
    );
  }

  private async loadAttachment(
    space: Space,
    parent: Content,
    breadcrumb: string[],
    a: Attachment,
    signal?: AbortSignal,
  ): Promise<LoadedDocument> {
    const bytes = await this.call(
      'attachment download',
      async () => {
        const res = await fetch(`${this.base}${a.downloadLink ?? ''}`, {
          headers: {
            Authorization: `Basic ${Buffer.from(`${this.options.username}:${this.options.apiToken}`).toString('base64')}`,
          },
          signal,
        });
        if (!res.ok)
          throw Object.assign(new Error(`attachment download answered ${res.status}`), {
            status: res.status,
            headers: res.headers,
          });
        return new Uint8Array(await res.arrayBuffer());
      },
      signal,
    );
    const name = a.title ?? `attachment-${String(a.id)}`;
    const structured = await convertDocument(detectFormat(name, bytes), bytes, name);
    return {
      title: name,
      url: `${this.base}${a.webuiLink ?? ''}`,
      structured: { ...structured, title: name },
      breadcrumb: [space.name, ...breadcrumb],
      spaceKey: space.key,
      pageId: parent.id,
      version: a.version?.number,
    };
  }

  private async load(
    space: Space,
    c: Content,
    ancestors: string[],
    signal?: AbortSignal,
  ): Promise<LoadedDocument> {
    type Full = {
      title?: string;
      version?: { number?: number } | null;
      body?: { storage?: { value?: string } | null } | null;
      _links?: { webui?: string };
    };
    const id = Number(c.id);
    const cached = this.bodies.get(c.id);
    this.bodies.delete(c.id);
    const full: Full =
      cached && cached.version >= c.version
        ? {
            title: cached.title,
            version: { number: cached.version },
            body: { storage: { value: cached.storage } },
            _links: { webui: cached.webui },
          }
        : ((await this.call(
            c.kind,
            () =>
              c.kind === 'page'
                ? this.client.page.getPageById({ id, bodyFormat: 'storage' })
                : this.client.blogPost.getBlogPostById({ id, bodyFormat: 'storage' }),
            signal,
          )) as Full);
    const title = full.title ?? c.title;
    const webui = full._links?.webui ?? c.webui ?? `/spaces/${space.key}/pages/${c.id}`;
    return {
      title,
      url: `${this.base}${webui}`,
      structured: await convertInWorker({
        format: 'confluence-storage',
        text: full.body?.storage?.value ?? '',
        title,
        storageContext: { wikiBase: this.base, spaceKey: space.key, pageId: c.id },
      }),
      breadcrumb: [space.name, ...ancestors],
      spaceKey: space.key,
      pageId: c.id,
      version: full.version?.number ?? c.version,
    };
  }
}
