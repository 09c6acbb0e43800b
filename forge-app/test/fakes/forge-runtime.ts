/**
 * The Forge runtime's side of `@forge/api`, for tests. In a deployed function, `@forge/api` sends every
 * remote and product call through `global.__forge_fetch__`, which the Forge sandbox provides; here that
 * one function routes remote calls to a real HTTP server and product calls to in-test Jira/Confluence
 * handlers. `@forge/api` itself and the resolvers run unchanged.
 */

export interface ProductRequest {
  product: 'jira' | 'confluence';
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}
export interface ProductReply {
  status: number;
  body: unknown;
}
/** Jira and Confluence for a test: answer at once, or later (a promise) to play a slow site. */
export type ProductHandler = (request: ProductRequest) => ProductReply | Promise<ProductReply>;

/** A remote served in process (see ServiceDouble.serveInMemory): no socket, so fake timers rule it. */
export type InMemoryRemote = (request: {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  signal?: AbortSignal;
}) => Promise<Response>;

export interface RemoteRequest {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

interface ForgeFetchTarget {
  type: string;
  provider?: string;
  remote?: string;
}

interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export class FakeForgeRuntime {
  readonly productCalls: ProductRequest[] = [];
  readonly remoteCalls: RemoteRequest[] = [];
  /** Set to make the remote unreachable, as a DNS or TLS fault in Forge's proxy would. */
  remoteDown = false;

  constructor(
    /** rag-service: its base URL, or an in-process handler. */
    private readonly remote: string | InMemoryRemote,
    private readonly products: ProductHandler,
    /** Headers Forge's proxy adds to remote calls (the invocation token, the user's token). */
    private readonly proxyHeaders: () =>
      Promise<Record<string, string>> | Record<string, string> = () => ({}),
  ) {}

  install(): void {
    (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__ = (
      target: ForgeFetchTarget,
      path: string,
      init: FetchInit = {},
    ): Promise<Response> => this.fetch(target, path, init);
  }

  uninstall(): void {
    delete (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__;
  }

  private async fetch(target: ForgeFetchTarget, path: string, init: FetchInit): Promise<Response> {
    const method = init.method ?? 'GET';
    if (target.type === 'frc') {
      if (target.remote !== 'rag-service') throw new Error(`unknown remote ${String(target.remote)}`);
      this.remoteCalls.push({ path, method, headers: init.headers ?? {}, body: parse(init.body) });
      if (this.remoteDown) throw new Error('connect ECONNREFUSED');
      if (typeof this.remote !== 'string') {
        return this.remote({
          method,
          path,
          headers: { ...(init.headers ?? {}), ...(await this.proxyHeaders()) },
          body: init.body,
          ...(init.signal ? { signal: init.signal } : {}),
        });
      }
      return fetch(this.remote + path, {
        method,
        headers: { ...(init.headers ?? {}), ...(await this.proxyHeaders()) },
        ...(init.body !== undefined ? { body: init.body } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    }
    if (
      target.type === 'fpp' &&
      target.provider === 'user' &&
      (target.remote === 'jira' || target.remote === 'confluence')
    ) {
      const request: ProductRequest = {
        product: target.remote,
        method,
        path,
        headers: init.headers ?? {},
        body: parse(init.body),
      };
      this.productCalls.push(request);
      const reply = await this.products(request);
      return new Response(JSON.stringify(reply.body), {
        status: reply.status,
        headers: { 'content-type': 'application/json' },
      });
    }
    throw new Error(`the test runtime does not serve ${JSON.stringify(target)}`);
  }
}

function parse(body: string | undefined): unknown {
  return body === undefined ? undefined : (JSON.parse(body) as unknown);
}

/** Jira and Confluence as seen by one user: admin or not, and the issue on the panel. */
export function atlassianSite(options: {
  admin: boolean;
  issue?: {
    key: string;
    summary: string;
    description: unknown;
    comments: { author: string; body: unknown }[];
  };
}): ProductHandler {
  return ({ product, method, path, headers, body }) => {
    if (product === 'jira' && method === 'POST' && path === '/rest/api/3/permissions/check') {
      // As Jira does: a body that is not declared JSON is refused, and the answer holds only the
      // permissions asked about that the user has.
      if (headers['content-type'] !== 'application/json') return { status: 415, body: {} };
      const asked = (body as { globalPermissions?: unknown } | undefined)?.globalPermissions;
      const held = options.admin ? ['ADMINISTER'] : [];
      const granted = Array.isArray(asked) ? held.filter((p) => asked.includes(p)) : [];
      return { status: 200, body: { globalPermissions: granted, projectPermissions: [] } };
    }
    if (product === 'confluence' && path === '/wiki/rest/api/user/current?expand=operations') {
      const operations = [{ operation: 'use', targetType: 'application' }];
      if (options.admin) operations.push({ operation: 'administer', targetType: 'application' });
      return { status: 200, body: { type: 'known', accountId: 'acc-1', operations } };
    }
    const issue = options.issue;
    if (product === 'jira' && issue && path === `/rest/api/3/issue/${issue.key}?fields=summary,description`) {
      return {
        status: 200,
        body: {
          id: '10001',
          key: issue.key,
          fields: { summary: issue.summary, description: issue.description },
        },
      };
    }
    if (product === 'jira' && issue && path.startsWith(`/rest/api/3/issue/${issue.key}/comment?`)) {
      // Jira answers newest first, as the resolver asks (orderBy=-created).
      const comments = [...issue.comments].reverse().map((c, i) => ({
        id: String(i),
        author: { displayName: c.author },
        body: c.body,
        created: new Date(Date.UTC(2026, 0, 10 - i)).toISOString(),
      }));
      return {
        status: 200,
        body: { startAt: 0, maxResults: 5, total: comments.length, comments: comments.slice(0, 5) },
      };
    }
    return {
      status: 404,
      body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'] },
    };
  };
}
