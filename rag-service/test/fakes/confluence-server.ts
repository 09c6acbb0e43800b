import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer } from './local-server.js';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OpenApiValidator, SPECS_DIR, type Violation } from './openapi-validator.js';
import { ConfluencePermissions } from './confluence-permissions.js';
import { idsOfCql, searchResult } from './confluence-search.js';
import { FaultQueue } from './fault-queue.js';

export interface TestSpace {
  id: string;
  key: string;
  name: string;
}

export interface TestContent {
  id: string;
  kind: 'page' | 'blogpost';
  spaceId: string;
  title: string;
  parentId: string | null;
  /** What the parent is, when not a page (Confluence Cloud's folders hold pages too). */
  parentType?: 'page' | 'folder';
  version: number;
  storage: string;
  status: 'current' | 'trashed';
}

export interface TestAttachment {
  id: string;
  contentId: string;
  filename: string;
  mediaType: string;
  bytes: Buffer;
  version: number;
}

export type ConfluenceFault = { status: number; retryAfter?: string; times?: number; only?: RegExp };

const API = '/wiki/api/v2';
const CLOUD_ID = '4c822e2f-510f-48b9-b8d0-8419d0932949';
const SEARCH = '/wiki/rest/api/search';
const PERMISSION_CHECK = /^\/wiki\/rest\/api\/content\/([^/]+)\/permission\/check$/;

/**
 * Confluence Cloud's v2 REST API, as far as the ingestion uses it: spaces, pages and blog posts per space
 * (cursor pagination announced in `_links.next` and the `Link` header), single pages and blog posts with
 * their storage body, basic auth, and injected 429s (with Retry-After) and 5xx. Query strings are checked
 * against the official v2 spec, and so is every response this server sends.
 *
 * Users: behind `apiBaseUrl` (Atlassian's API gateway path, as Forge's `app.apiBaseUrl` names it) the v1 CQL
 * search answers a user's bearer token with only what that user may view (see `permissions`), checked
 * against the official v1 spec. A token the Jira installation got (`permissions.addUser(id, 'jira')`) is
 * refused there, as Confluence refuses a Jira token. The service's own account may ask about any user with
 * the v1 content permission check, as long as it is a Confluence administrator (`serviceAccountIsAdmin`).
 */
export class ConfluenceTestServer extends LocalServer {
  readonly spaces: TestSpace[] = [];
  readonly contents = new Map<string, TestContent>();
  readonly attachments = new Map<string, TestAttachment>();
  readonly requests: { path: string; query: string; status: number }[] = [];
  /**
   * Sees each request as it arrives, before it is answered: a test acts at a point of the client's progress.
   * A returned promise holds the answer until it settles (to order two requests' answers).
   */
  onRequest: ((request: { path: string; query: string }) => void | Promise<void>) | undefined;
  readonly violations: Violation[] = [];
  private readonly faults = new FaultQueue<ConfluenceFault>();
  private readonly validator = new OpenApiValidator(path.join(SPECS_DIR, 'confluence-cloud-v2.openapi.json'));
  private readonly v1 = new OpenApiValidator(path.join(SPECS_DIR, 'confluence-cloud-v1.openapi.json'));
  readonly permissions = new ConfluencePermissions();
  /** Every CQL search made with a user's token: whose, and which ids it asked about. */
  readonly userSearches: { accountId: string; ids: string[] }[] = [];
  /** Every content permission check the service's account made: about whom, and which content. */
  readonly permissionChecks: { accountId: string; id: string }[] = [];
  /** Whether the service's account holds 'Confluence Administrator' (needed to check for other users). */
  serviceAccountIsAdmin = true;
  /** Results per search page, whatever `limit` asks. */
  maxSearchLimit = 100;
  private nextId = 100000;
  /** Page size the server uses, whatever `limit` asks (real Confluence caps it too). */
  maxPageSize = 250;
  latencyMs = 0;

  constructor(
    readonly email = 'bot@example.com',
    readonly token = 'confluence-token',
  ) {
    super();
  }

  addSpace(key: string, name = `${key} space`): TestSpace {
    const space = { id: String(this.nextId++), key, name };
    this.spaces.push(space);
    return space;
  }

  addContent(
    space: TestSpace,
    title: string,
    storage: string,
    options: { parentId?: string; parentType?: 'page' | 'folder'; kind?: 'page' | 'blogpost' } = {},
  ): TestContent {
    const content: TestContent = {
      id: String(this.nextId++),
      kind: options.kind ?? 'page',
      spaceId: space.id,
      title,
      parentId: options.parentId ?? null,
      ...(options.parentType ? { parentType: options.parentType } : {}),
      version: 1,
      storage,
      status: 'current',
    };
    this.contents.set(content.id, content);
    return content;
  }

  addAttachment(content: TestContent, filename: string, mediaType: string, bytes: Buffer): TestAttachment {
    const attachment = {
      id: `att${this.nextId++}`,
      contentId: content.id,
      filename,
      mediaType,
      bytes,
      version: 1,
    };
    this.attachments.set(attachment.id, attachment);
    return attachment;
  }

  edit(id: string, storage: string): void {
    const c = this.contents.get(id)!;
    c.storage = storage;
    c.version++;
  }

  /** Moves content to the trash: listings leave it out; fetched by id it says `trashed`. */
  trash(id: string): void {
    this.contents.get(id)!.status = 'trashed';
  }

  /** Purges content: gone from every answer (404). */
  purge(id: string): void {
    this.contents.delete(id);
  }

  /** Moves a page under another parent, or into another space (at its top level); Cloud may keep the version. */
  move(id: string, to: { parentId?: string; space?: TestSpace; keepVersion?: boolean }): void {
    const c = this.contents.get(id)!;
    if (to.space) c.spaceId = to.space.id;
    c.parentId = to.parentId ?? null;
    if (!to.keepVersion) c.version++;
  }

  fail(fault: ConfluenceFault): void {
    this.faults.push(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** The site's API base as Forge passes it to a remote (`app.apiBaseUrl`). */
  get apiBaseUrl(): string {
    return `${this.url}/ex/confluence/${CLOUD_ID}`;
  }

  /** The same site's Jira API base, as Forge passes it to a remote called from a Jira module. */
  get jiraApiBaseUrl(): string {
    return `${this.url}/ex/jira/${CLOUD_ID}`;
  }

  bodyFetches(): number {
    return this.requests.filter((r) => /\/(pages|blogposts)\/\d+$/.test(r.path)).length;
  }

  private send(
    res: ServerResponse,
    record: { status: number },
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    record.status = status;
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  protected async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const record = { path: url.pathname, query: url.search, status: 0 };
    this.requests.push(record);
    await this.onRequest?.(record);
    if (this.latencyMs) await sleep(this.latencyMs);
    const gateway = new URL(this.apiBaseUrl).pathname;
    if (url.pathname.startsWith(`${gateway}/`)) {
      this.receiveAsUser(req, res, url, url.pathname.slice(gateway.length), record);
      return;
    }
    const expected = `Basic ${Buffer.from(`${this.email}:${this.token}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      this.send(res, record, 401, { code: 401, message: 'Unauthorized; scope does not match' });
      return;
    }
    const fault = this.faults.take(url.pathname);
    if (fault) {
      const body = {
        errors: [
          {
            status: fault.status,
            code: fault.status === 429 ? 'TOO_MANY_REQUESTS' : 'INTERNAL_SERVER_ERROR',
            title: 'injected fault',
            detail: null,
          },
        ],
      };
      this.send(res, record, fault.status, body, fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {});
      return;
    }
    const check = PERMISSION_CHECK.exec(url.pathname);
    if (check && req.method === 'POST') {
      await this.checkPermission(req, res, decodeURIComponent(check[1]!), record);
      return;
    }
    const download = /^\/wiki\/download\/attachments\/(\d+)\/([^/]+)$/.exec(url.pathname);
    if (download) {
      const file = [...this.attachments.values()].find(
        (a) => a.contentId === download[1] && a.filename === decodeURIComponent(download[2]!),
      );
      record.status = file ? 200 : 404;
      res.writeHead(record.status, { 'Content-Type': file?.mediaType ?? 'text/plain' });
      res.end(file?.bytes ?? 'not found');
      return;
    }
    if (!url.pathname.startsWith(`${API}/`)) {
      this.send(res, record, 404, {
        errors: [{ status: 404, code: 'NOT_FOUND', title: 'Not Found', detail: null }],
      });
      return;
    }
    const apiPath = url.pathname.slice(API.length);
    const queryErrors = this.validator.validateQuery('GET', apiPath, url.searchParams);
    if (queryErrors.length) {
      this.violations.push({ method: 'GET', path: apiPath, errors: queryErrors });
      this.send(res, record, 400, {
        errors: [
          { status: 400, code: 'INVALID_REQUEST_PARAMETER', title: queryErrors.join('; '), detail: null },
        ],
      });
      return;
    }
    const [status, body, headers] = this.route(apiPath, url.searchParams);
    const responseErrors =
      status === 200 ? this.validator.validateResponse('GET', apiPath, status, body) : [];
    if (responseErrors.length)
      this.violations.push({ method: 'GET', path: `${apiPath} (response)`, errors: responseErrors });
    this.send(res, record, status, body, headers);
  }

  /** The v1 content permission check: may the subject (a user's account id) `read` this content? */
  private async checkPermission(
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    record: { status: number },
  ): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      this.send(res, record, 400, { statusCode: 400, message: 'Could not parse the request body' });
      return;
    }
    const apiPath = `/wiki/rest/api/content/${id}/permission/check`;
    const errors = this.v1.validate('POST', apiPath, body);
    if (errors.length) {
      this.violations.push({ method: 'POST', path: apiPath, errors });
      this.send(res, record, 400, { statusCode: 400, message: errors.join('; ') });
      return;
    }
    if (!this.serviceAccountIsAdmin) {
      this.send(res, record, 403, {
        statusCode: 403,
        message: 'Only Confluence administrators may check permissions of other users',
      });
      return;
    }
    const { subject, operation } = body as {
      subject: { type: string; identifier: string };
      operation: string;
    };
    const content = this.contents.get(id);
    if (!content) {
      this.send(res, record, 404, { statusCode: 404, message: `No content found with id: ${id}` });
      return;
    }
    this.permissionChecks.push({ accountId: subject.identifier, id });
    const spaceOf = (c: TestContent) => this.spaces.find((s) => s.id === c.spaceId)!;
    const securable = (c: TestContent) => ({ id: c.id, spaceKey: spaceOf(c).key, parentId: c.parentId });
    const parentOf = (pid: string) => {
      const parent = this.contents.get(pid);
      return parent && securable(parent);
    };
    const allowed =
      subject.type === 'user' &&
      operation === 'read' &&
      this.permissions.knows(subject.identifier) &&
      this.permissions.canView(subject.identifier, securable(content), parentOf);
    const answer = allowed
      ? { hasPermission: true }
      : {
          hasPermission: false,
          errors: [{ translation: 'User does not have permission to the content', args: [] }],
        };
    const responseErrors = this.v1.validateResponse('POST', apiPath, 200, answer);
    if (responseErrors.length)
      this.violations.push({ method: 'POST', path: `${apiPath} (response)`, errors: responseErrors });
    this.send(res, record, 200, answer);
  }

  /** The v1 CQL search, answered as the user whose bearer token came with the request. */
  private receiveAsUser(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    apiPath: string,
    record: { status: number },
  ): void {
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const accountId = bearer ? this.permissions.accountOf(bearer[1]!, 'confluence') : undefined;
    if (!accountId) {
      this.send(res, record, 401, { statusCode: 401, message: 'Unauthorized; scope does not match' });
      return;
    }
    const fault = this.faults.take(apiPath);
    if (fault) {
      const body = { statusCode: fault.status, message: 'injected fault' };
      this.send(res, record, fault.status, body, fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {});
      return;
    }
    if (apiPath !== SEARCH) {
      this.send(res, record, 404, { statusCode: 404, message: `no route ${apiPath} in this test server` });
      return;
    }
    const queryErrors = this.v1.validateQuery('GET', apiPath, url.searchParams);
    const ids = idsOfCql(url.searchParams.get('cql') ?? '');
    if (queryErrors.length || !ids) {
      if (queryErrors.length) this.violations.push({ method: 'GET', path: apiPath, errors: queryErrors });
      const message = queryErrors.length ? queryErrors.join('; ') : 'Could not parse cql';
      this.send(res, record, 400, { statusCode: 400, message });
      return;
    }
    this.userSearches.push({ accountId, ids });
    const spaceOf = (c: TestContent) => this.spaces.find((s) => s.id === c.spaceId)!;
    const securable = (c: TestContent) => ({ id: c.id, spaceKey: spaceOf(c).key, parentId: c.parentId });
    const parentOf = (id: string) => {
      const parent = this.contents.get(id);
      return parent && securable(parent);
    };
    const visible = ids
      .map((id) => this.contents.get(id))
      .filter(
        (c): c is TestContent =>
          !!c && c.status === 'current' && this.permissions.canView(accountId, securable(c), parentOf),
      );
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 25), this.maxSearchLimit);
    const cursor = url.searchParams.get('cursor');
    const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) : 0;
    const results = visible.slice(start, start + limit).map((c) => searchResult(c, spaceOf(c)));
    const links: Record<string, string> = { base: `${this.url}/wiki`, context: '/wiki' };
    if (start + limit < visible.length) {
      const next = new URLSearchParams(url.searchParams);
      next.set('cursor', Buffer.from(String(start + limit)).toString('base64url'));
      links.next = `/rest/api/search?${next.toString()}`;
    }
    const body = {
      results,
      start,
      limit,
      size: results.length,
      totalSize: visible.length,
      cqlQuery: url.searchParams.get('cql'),
      searchDuration: 3,
      _links: links,
    };
    const responseErrors = this.v1.validateResponse('GET', apiPath, 200, body);
    if (responseErrors.length)
      this.violations.push({ method: 'GET', path: `${apiPath} (response)`, errors: responseErrors });
    this.send(res, record, 200, body);
  }

  private links(webui: string) {
    return { webui, editui: webui.replace('/pages/', '/pages/edit-v2/'), tinyui: '/x/test' };
  }

  private listed(c: TestContent, withBody: boolean): Record<string, unknown> {
    const space = this.spaces.find((s) => s.id === c.spaceId)!;
    const webui = `/spaces/${space.key}/${c.kind === 'page' ? 'pages' : 'blog'}/${c.id}`;
    return {
      id: c.id,
      status: c.status,
      title: c.title,
      spaceId: c.spaceId,
      ...(c.kind === 'page' && c.parentId
        ? { parentId: c.parentId, parentType: c.parentType ?? 'page' }
        : {}),
      ...(c.kind === 'page' ? { position: 0 } : {}),
      authorId: 'author-1',
      createdAt: '2026-01-01T00:00:00.000Z',
      version: {
        createdAt: '2026-01-02T00:00:00.000Z',
        message: '',
        number: c.version,
        minorEdit: false,
        authorId: 'author-1',
      },
      ...(withBody ? { body: { storage: { representation: 'storage', value: c.storage } } } : {}),
      _links: this.links(webui),
    };
  }

  /** One page of a list: `limit` capped by the server; `_links.next` and `Link` carry the cursor. */
  private page(
    apiPath: string,
    query: URLSearchParams,
    items: unknown[],
  ): [number, unknown, Record<string, string>] {
    const limit = Math.min(Number(query.get('limit') ?? 25), this.maxPageSize);
    const offset = query.get('cursor')
      ? Number(Buffer.from(query.get('cursor')!, 'base64url').toString())
      : 0;
    const slice = items.slice(offset, offset + limit);
    const body: Record<string, unknown> = { results: slice, _links: { base: `${this.url}/wiki` } };
    const headers: Record<string, string> = {};
    if (offset + limit < items.length) {
      const next = new URLSearchParams(query);
      next.set('cursor', Buffer.from(String(offset + limit)).toString('base64url'));
      const href = `${API}${apiPath}?${next.toString()}`;
      (body._links as Record<string, string>).next = href;
      headers.Link = `<${href}>; rel="next", <${this.url}/wiki>; rel="base"`;
    }
    return [200, body, headers];
  }

  private route(apiPath: string, query: URLSearchParams): [number, unknown, Record<string, string>] {
    const notFound: [number, unknown, Record<string, string>] = [
      404,
      { errors: [{ status: 404, code: 'NOT_FOUND', title: 'Not Found', detail: null }] },
      {},
    ];
    if (apiPath === '/spaces') {
      const keys = query.getAll('keys').flatMap((k) => k.split(','));
      const spaces = this.spaces.filter((s) => !keys.length || keys.includes(s.key));
      return this.page(
        apiPath,
        query,
        spaces.map((s) => ({
          id: s.id,
          key: s.key,
          name: s.name,
          type: 'global',
          status: 'current',
          _links: { webui: `/spaces/${s.key}` },
        })),
      );
    }
    if (apiPath === '/attachments') {
      const mediaType = query.get('mediaType');
      const items = [...this.attachments.values()].filter(
        (a) => this.contents.has(a.contentId) && (!mediaType || a.mediaType === mediaType),
      );
      return this.page(
        apiPath,
        query,
        items.map((a) => {
          const content = this.contents.get(a.contentId)!;
          const space = this.spaces.find((s) => s.id === content.spaceId)!;
          return {
            id: a.id,
            status: 'current',
            title: a.filename,
            createdAt: '2026-01-01T00:00:00.000Z',
            ...(content.kind === 'page' ? { pageId: content.id } : { blogPostId: content.id }),
            mediaType: a.mediaType,
            mediaTypeDescription: a.mediaType,
            comment: '',
            fileId: `file-${a.id}`,
            fileSize: a.bytes.length,
            webuiLink: `/spaces/${space.key}/pages/${content.id}/attachments/${a.id}`,
            downloadLink: `/download/attachments/${content.id}/${encodeURIComponent(a.filename)}?version=${a.version}&api=v2`,
            version: {
              createdAt: '2026-01-02T00:00:00.000Z',
              message: '',
              number: a.version,
              minorEdit: false,
              authorId: 'author-1',
            },
            _links: {
              webui: `/spaces/${space.key}/pages/${content.id}/attachments/${a.id}`,
              download: `/download/attachments/${content.id}/${a.filename}`,
            },
          };
        }),
      );
    }
    let m = /^\/spaces\/(\d+)\/(pages|blogposts)$/.exec(apiPath);
    if (m) {
      if (!this.spaces.some((s) => s.id === m![1])) return notFound;
      const kind = m[2] === 'pages' ? 'page' : 'blogpost';
      const items = [...this.contents.values()]
        .filter((c) => c.spaceId === m![1] && c.kind === kind && c.status === 'current')
        .sort((a, b) => Number(a.id) - Number(b.id));
      return this.page(
        apiPath,
        query,
        items.map((c) => this.listed(c, query.get('body-format') === 'storage')),
      );
    }
    m = /^\/(pages|blogposts)\/(\d+)$/.exec(apiPath);
    if (m) {
      const c = this.contents.get(m[2]!);
      if (!c || (c.kind === 'page') !== (m[1] === 'pages')) return notFound;
      const listed = this.listed(c, query.get('body-format') === 'storage');
      return [200, { ...listed, _links: { ...(listed._links as object), base: `${this.url}/wiki` } }, {}];
    }
    m = /^\/spaces\/(\d+)$/.exec(apiPath);
    if (m) {
      const spaceId = m[1];
      const space = this.spaces.find((s) => s.id === spaceId);
      if (!space) return notFound;
      return [
        200,
        {
          id: space.id,
          key: space.key,
          name: space.name,
          type: 'global',
          status: 'current',
          _links: { webui: `/spaces/${space.key}`, base: `${this.url}/wiki` },
        },
        {},
      ];
    }
    return notFound;
  }
}
