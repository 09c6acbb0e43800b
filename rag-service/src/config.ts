import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cron } from 'croner';
import { z } from 'zod';
import { ATLASSIAN_API_ORIGIN } from './access/site-api.js';
import type { S3Location } from './ingest/sources/s3-bucket.js';

/** The service package's own folder: relative defaults resolve here, not against the caller's cwd. */
export const SERVICE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SAMPLE_DOCS_DIR = path.join(SERVICE_ROOT, 'sample-docs');

const csv = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() ? v.trim() : undefined));

const optionalUrl = optionalText.pipe(
  z
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')
    .optional(),
);

const bool = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return false;
    if (/^(1|true|yes)$/i.test(v)) return true;
    if (/^(0|false|no)$/i.test(v)) return false;
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return z.NEVER;
  });

/**
 * A number setting: unset or blank is `fallback`; anything `accepts` refuses is said in plain words
 * (`must be …, not "abc"`), not zod's "expected number, received NaN".
 */
const numberSetting = (fallback: number, accepts: (text: string, n: number) => boolean, mustBe: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const text = v?.trim();
      if (!text) return fallback;
      if (accepts(text, Number(text))) return Number(text);
      ctx.addIssue({ code: 'custom', message: `must be ${mustBe}, not "${text}"` });
      return z.NEVER;
    });

const wholeNumber = (min: number, max: number, fallback: number) =>
  numberSetting(
    fallback,
    (text, n) => /^\d+$/.test(text) && n >= min && n <= max,
    `a whole number from ${min} to ${max}`,
  );

/** A similarity: above 0, at most 1. */
const fraction = (fallback: number) =>
  numberSetting(
    fallback,
    (text, n) => /^(0|1)?(\.\d+)?$/.test(text) && n > 0 && n <= 1,
    'a number above 0 and at most 1',
  );

/** One entry of Express's `trust proxy` list: a name it knows, an IP address, or a subnet in CIDR form. */
function isProxyEntry(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const version = isIP(address);
  if (!version || rest.length) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128));
}

/** What a Forge installation's id looks like in a token's `app.installationId`. */
const INSTALLATION_ID = /^ari:cloud:ecosystem::installation\/[\w-]+$/;
const FORGE_ENVIRONMENT_TYPES = ['PRODUCTION', 'STAGING', 'DEVELOPMENT'];

/** Actions a caller may take per minute; 0 turns the limit off. */
const perMinute = (fallback: number) => wholeNumber(0, 1_000_000, fallback);

const Env = z.object({
  // An empty PORT= is a mistake, not "any free port" (what 0 means, and what Number('') would give).
  PORT: z
    .string()
    .regex(/^\d{1,5}$/, 'must be a port number (0: any free port)')
    .default('8080')
    .transform(Number)
    .pipe(z.number().max(65535)),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: optionalText,
  VECTOR_STORE: z.enum(['embedded', 'qdrant']).optional(),
  QDRANT_URL: optionalUrl,
  // S3's bucket naming rules (3–63 lower-case letters, digits, dots and hyphens, a letter or digit at each end).
  S3_BUCKET: optionalText.pipe(
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (lower-case, 3–63 characters)')
      .optional(),
  ),
  // A folder-like prefix: "docs" means the keys under "docs/", never "docs-old/".
  S3_PREFIX: optionalText.transform((v) => {
    const p = (v ?? '').replace(/\/{2,}/g, '/').replace(/^\/+/, '');
    return p && !p.endsWith('/') ? `${p}/` : p;
  }),
  // An AWS region, or `auto` (Cloudflare R2's).
  S3_REGION: optionalText.pipe(
    z
      .string()
      .regex(/^([a-z]{2}(-[a-z]+)+-\d+|auto)$/, 'must be an AWS region name, e.g. eu-west-1 (or auto for R2)')
      .optional(),
  ),
  // Credentials come from the AWS chain, never the URL: a key in it would reach job errors and logs.
  S3_ENDPOINT: optionalUrl.refine(
    (u) => !u || !/^[a-z]+:\/\/[^/]*@/i.test(u),
    'must not carry credentials (user:password@): they come from the AWS credential chain',
  ),
  S3_FORCE_PATH_STYLE: bool,
  QDRANT_API_KEY: optionalText,
  QDRANT_COLLECTION: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/)
    .default('knowledge'),
  LLM_PROVIDER: z.enum(['openai', 'gemini', 'none']).optional(),
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: optionalUrl,
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  OPENAI_EMBEDDING_MODEL: z.string().min(1).default('text-embedding-3-small'),
  GOOGLE_API_KEY: optionalText,
  GEMINI_BASE_URL: optionalUrl,
  GEMINI_MODEL: z.string().min(1).default('gemini-2.5-flash'),
  GEMINI_EMBEDDING_MODEL: z.string().min(1).default('gemini-embedding-001'),
  EMBEDDINGS_PROVIDER: z.enum(['openai', 'gemini', 'none']).optional(),
  CONFLUENCE_URL: optionalUrl,
  CONFLUENCE_USERNAME: optionalText,
  CONFLUENCE_API_TOKEN: optionalText,
  CONFLUENCE_SPACES: csv,
  DOCS_DIR: optionalText,
  REINDEX_CRON: optionalText.refine(
    (v) => v === undefined || isCronExpression(v),
    'must be a cron expression (5 fields, or 6 with seconds)',
  ),
  API_KEYS: csv,
  ADMIN_API_KEYS: csv,
  FORGE_APP_ID: optionalText.refine(
    (v) => v === undefined || v.startsWith('ari:cloud:ecosystem::app/'),
    'must look like ari:cloud:ecosystem::app/<uuid>',
  ),
  FORGE_JWKS_URL: z.url().default('https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json'),
  FORGE_INSTALLATION_IDS: csv.refine(
    (ids) => ids.every((id) => id === '*' || INSTALLATION_ID.test(id)),
    'must be installation ids (ari:cloud:ecosystem::installation/<uuid>, comma-separated; `forge install list` shows them), or *',
  ),
  FORGE_ENVIRONMENTS: csv
    .transform((types) => (types.length ? types.map((t) => t.toUpperCase()) : ['PRODUCTION']))
    .refine(
      (types) => types.every((t) => FORGE_ENVIRONMENT_TYPES.includes(t)),
      `must be Forge environment types (comma-separated): ${FORGE_ENVIRONMENT_TYPES.join(', ')}`,
    ),
  API_KEY_CONFLUENCE_ACCESS: z
    .string()
    .trim()
    .default('none')
    .refine(
      (v) => /^(all|none|[A-Za-z0-9~_-]+(\s*,\s*[A-Za-z0-9~_-]+)*)$/.test(v),
      'must be "all", "none" or a comma-separated list of space keys',
    ),
  FORGE_EXTRA_API_ORIGINS: csv.refine(
    (origins) => origins.every(isOrigin),
    'must be http(s) origins (scheme, host and port only), comma-separated',
  ),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL (postgres://user:pass@host:5432/db)')
    .optional(),
  HISTORY: z.enum(['on', 'off']).default('on'),
  HISTORY_RETENTION_DAYS: wholeNumber(0, 36_500, 90),
  INSIGHTS_GAP_SIMILARITY: fraction(0.75),
  ACCESS_CACHE_TTL_MS: wholeNumber(0, 3_600_000, 60_000),
  ACCESS_CACHE_MAX_ENTRIES: wholeNumber(0, 10_000_000, 50_000),
  RETRIEVAL_TOP_K: wholeNumber(1, 20, 5),
  CHAT_TIMEOUT_MS: wholeNumber(1000, 600_000, 18_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  NODE_ENV: optionalText,
  ALLOW_UNAUTHENTICATED: bool,
  ALLOWED_HOSTS: csv.refine(
    (hosts) => hosts.every((h) => /^(\*|[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$/.test(h)),
    'must be host names without a port (comma-separated), or *',
  ),
  RATE_LIMIT_CHAT_PER_MINUTE: perMinute(30),
  RATE_LIMIT_UPLOADS_PER_MINUTE: perMinute(10),
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: perMinute(20),
  HTTP_REQUEST_TIMEOUT_MS: wholeNumber(1000, 3_600_000, 60_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: wholeNumber(1000, 600_000, 5_000),
  TRUST_PROXY: z
    .string()
    .trim()
    .default('loopback')
    .refine(
      (v) => /^\d{1,2}$/.test(v) || v.split(',').every((entry) => isProxyEntry(entry.trim())),
      'must be a number of proxy hops, or proxy addresses/subnets (comma-separated), or loopback, linklocal, uniquelocal',
    ),
});

export type Provider = 'openai' | 'gemini' | 'none';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** A PostgreSQL server (`DATABASE_URL`) for conversations, feedback and the jobs every replica shares. */
  readonly databaseUrl?: string;
  /** Conversations and feedback: on `databaseUrl`, else on the embedded server under DATA_DIR; off keeps none. */
  readonly history: {
    readonly enabled: boolean;
    readonly retentionDays: number;
    /** Cosine of two questions' embeddings at which content gaps put them in one group. */
    readonly gapSimilarity: number;
  };
  readonly vectorStore: 'embedded' | 'qdrant';
  readonly qdrant: { readonly url?: string; readonly apiKey?: string; readonly collection: string };
  readonly llmProvider: Provider;
  readonly embeddingsProvider: Provider;
  readonly openai: {
    readonly apiKey?: string;
    readonly baseUrl?: string;
    readonly model: string;
    readonly embeddingModel: string;
  };
  readonly gemini: {
    readonly apiKey?: string;
    readonly baseUrl?: string;
    readonly model: string;
    readonly embeddingModel: string;
  };
  readonly confluence?: {
    readonly url: string;
    readonly username: string;
    readonly apiToken: string;
    readonly spaces: readonly string[];
  };
  /** A bucket (and key prefix) indexed as the `s3` source, which also keeps the uploaded originals. */
  readonly s3?: S3Location;
  /** The first documents folder (ids `file:…`). */
  readonly docsDir: string;
  /** Every documents folder, the first one first; each is a source of its own (DOCS_DIR lists them). */
  readonly docsDirs: readonly string[];
  readonly reindexCron?: string;
  readonly auth: {
    readonly apiKeys: readonly string[];
    readonly adminApiKeys: readonly string[];
    readonly forgeAppId?: string;
    readonly forgeJwksUrl: string;
    /** The Forge installations (`app.installationId`) served; `*` is any. */
    readonly forgeInstallationIds: '*' | readonly string[];
    /** The Forge environment types (`app.environment.type`) accepted. */
    readonly forgeEnvironments: readonly string[];
    readonly allowUnauthenticated: boolean;
  };
  readonly access: {
    /**
     * What API-key callers (no user identity) see of Confluence: every indexed space, or only these
     * spaces (none when empty; the default). Forge calls are decided per user by Confluence itself.
     */
    readonly apiKeyConfluenceSpaces: 'all' | readonly string[];
    /**
     * What calls without credentials (none configured) see: everything on a loopback address, where the
     * caller is the operator at their machine, who holds the Confluence credentials anyway; elsewhere
     * (ALLOW_UNAUTHENTICATED, behind a proxy) whoever the proxy lets through, so what API keys see.
     */
    readonly unauthenticatedConfluenceSpaces: 'all' | readonly string[];
    /** Origins whose site APIs a Forge token may name for a user's token: Atlassian's gateway, plus extras. */
    readonly forgeApiOrigins: readonly string[];
    /** How long a user's view decision for a page is reused; 0 asks Confluence every time. */
    readonly cacheTtlMs: number;
    readonly cacheMaxEntries: number;
  };
  /** Passages an answer rests on (and sources returned). */
  readonly retrievalTopK: number;
  /** The budget of one chat turn (retrieval, model, retries). */
  readonly chatTimeoutMs: number;
  readonly logLevel: string;
  /**
   * How the service writes its log: JSON lines (for log collectors), or readable lines for a person at a
   * terminal. LOG_FORMAT decides; unset, JSON in production (NODE_ENV=production) and when not on a terminal.
   */
  readonly logFormat: 'json' | 'pretty' | 'auto';
  readonly http: {
    /** Without credentials: Host names accepted besides loopback ones (`*`: any). */
    readonly allowedHosts: readonly string[];
    /** The whole request, headers and body, must arrive within this. */
    readonly requestTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    /** Express's `trust proxy`: hops to believe in X-Forwarded-For, or the proxies' addresses. */
    readonly trustProxy: number | string;
  };
  /** Per caller and per replica; 0 is off. */
  readonly rateLimits: {
    readonly chatPerMinute: number;
    readonly uploadsPerMinute: number;
    readonly authFailuresPerMinute: number;
  };
}

function isCronExpression(expression: string): boolean {
  try {
    new Cron(expression, { paused: true }).stop();
    return /^(\S+\s+){4,5}\S+$/.test(expression);
  } catch {
    return false;
  }
}

/** A configuration the service cannot start with; the message names every offending variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Whether one folder holds the other (two resolved paths): their files would be indexed twice. */
export function nestedFolders(a: string, b: string): boolean {
  const inside = (x: string, y: string) => x.startsWith(y.endsWith(path.sep) ? y : `${y}${path.sep}`);
  return inside(a, b) || inside(b, a);
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Parses and checks the environment once. Every later module receives the frozen result; none reads
 * `process.env` itself.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const problems: string[] = [];
  // Several folders are listed like PATH (or with commas); the same folder twice is one source.
  const listed = (e.DOCS_DIR ?? '')
    .split(new RegExp(`[,${path.delimiter}]`))
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => path.resolve(d));
  const docsDirs = listed.length ? [...new Set(listed)] : [SAMPLE_DOCS_DIR];
  for (const [i, a] of docsDirs.entries())
    for (const b of docsDirs.slice(i + 1))
      if (nestedFolders(a, b))
        problems.push(
          `DOCS_DIR lists ${a} and ${b}, one inside the other: their files would be indexed twice`,
        );

  const vectorStore = e.VECTOR_STORE ?? (e.QDRANT_URL ? 'qdrant' : 'embedded');
  if (vectorStore === 'qdrant' && !e.QDRANT_URL) problems.push('VECTOR_STORE=qdrant needs QDRANT_URL');
  if (!e.S3_BUCKET && (e.S3_PREFIX || e.S3_ENDPOINT))
    problems.push('S3_PREFIX and S3_ENDPOINT need S3_BUCKET, the bucket to read');

  // Each hosted provider's key, in one table: the order is the preference when LLM_PROVIDER is not set.
  const keyOf = { openai: 'OPENAI_API_KEY', gemini: 'GOOGLE_API_KEY' } as const;
  const hosted = Object.keys(keyOf) as (keyof typeof keyOf)[];
  const hasKey = (p: Provider) => p === 'none' || Boolean(e[keyOf[p]]);
  const llmProvider: Provider = e.LLM_PROVIDER ?? hosted.find((p) => hasKey(p)) ?? 'none';
  if (!hasKey(llmProvider))
    problems.push(`LLM_PROVIDER=${llmProvider} needs ${keyOf[llmProvider as keyof typeof keyOf]}`);
  const embeddingsProvider: Provider = e.EMBEDDINGS_PROVIDER ?? (hasKey(llmProvider) ? llmProvider : 'none');
  if (!hasKey(embeddingsProvider)) {
    problems.push(
      `EMBEDDINGS_PROVIDER=${embeddingsProvider} needs ${keyOf[embeddingsProvider as keyof typeof keyOf]}`,
    );
  }

  const confluenceVars = [e.CONFLUENCE_URL, e.CONFLUENCE_USERNAME, e.CONFLUENCE_API_TOKEN];
  const confluenceSet = confluenceVars.filter(Boolean).length;
  if (confluenceSet > 0 && confluenceSet < 3) {
    problems.push('CONFLUENCE_URL, CONFLUENCE_USERNAME and CONFLUENCE_API_TOKEN go together: set all three');
  }
  if (e.CONFLUENCE_URL && /\/wiki\/?$/.test(e.CONFLUENCE_URL)) {
    problems.push('CONFLUENCE_URL is the site root (https://x.atlassian.net), without /wiki');
  }

  if (e.FORGE_APP_ID && !e.FORGE_INSTALLATION_IDS.length) {
    problems.push(
      'FORGE_APP_ID is set but FORGE_INSTALLATION_IDS is not: every site the app is installed on (and every ' +
        'development install) sends tokens for the same app id. Set FORGE_INSTALLATION_IDS to the ' +
        'installation ids this service serves (`forge install list` shows them), or * to accept any.',
    );
  }
  const credentialsConfigured = e.API_KEYS.length > 0 || e.ADMIN_API_KEYS.length > 0 || !!e.FORGE_APP_ID;
  if (!credentialsConfigured && !isLoopbackHost(e.HOST) && !e.ALLOW_UNAUTHENTICATED) {
    problems.push(
      `HOST=${e.HOST} is not a loopback address and no API_KEYS, ADMIN_API_KEYS or FORGE_APP_ID is set: ` +
        'anyone who can reach the port could read the knowledge base. Set credentials, or ALLOW_UNAUTHENTICATED=true ' +
        'if a proxy in front authenticates callers.',
    );
  }
  if (problems.length)
    throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR ? path.resolve(e.DATA_DIR) : path.join(SERVICE_ROOT, 'data'),
    databaseUrl: e.DATABASE_URL,
    history: {
      enabled: e.HISTORY === 'on',
      retentionDays: e.HISTORY_RETENTION_DAYS,
      gapSimilarity: e.INSIGHTS_GAP_SIMILARITY,
    },
    vectorStore,
    qdrant: { url: e.QDRANT_URL, apiKey: e.QDRANT_API_KEY, collection: e.QDRANT_COLLECTION },
    llmProvider,
    embeddingsProvider,
    openai: {
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL,
      model: e.OPENAI_MODEL,
      embeddingModel: e.OPENAI_EMBEDDING_MODEL,
    },
    gemini: {
      apiKey: e.GOOGLE_API_KEY,
      baseUrl: e.GEMINI_BASE_URL,
      model: e.GEMINI_MODEL,
      embeddingModel: e.GEMINI_EMBEDDING_MODEL,
    },
    confluence:
      e.CONFLUENCE_URL && e.CONFLUENCE_USERNAME && e.CONFLUENCE_API_TOKEN
        ? {
            url: e.CONFLUENCE_URL.replace(/\/+$/, ''),
            username: e.CONFLUENCE_USERNAME,
            apiToken: e.CONFLUENCE_API_TOKEN,
            spaces: e.CONFLUENCE_SPACES,
          }
        : undefined,
    s3: e.S3_BUCKET
      ? {
          bucket: e.S3_BUCKET,
          prefix: e.S3_PREFIX,
          ...(e.S3_REGION ? { region: e.S3_REGION } : {}),
          ...(e.S3_ENDPOINT ? { endpoint: e.S3_ENDPOINT } : {}),
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
        }
      : undefined,
    docsDir: docsDirs[0]!,
    docsDirs,
    reindexCron: e.REINDEX_CRON,
    auth: {
      apiKeys: e.API_KEYS,
      adminApiKeys: e.ADMIN_API_KEYS,
      forgeAppId: e.FORGE_APP_ID,
      forgeJwksUrl: e.FORGE_JWKS_URL,
      forgeInstallationIds: e.FORGE_INSTALLATION_IDS.includes('*') ? '*' : e.FORGE_INSTALLATION_IDS,
      forgeEnvironments: e.FORGE_ENVIRONMENTS,
      allowUnauthenticated: e.ALLOW_UNAUTHENTICATED,
    },
    access: {
      apiKeyConfluenceSpaces: apiKeySpaces(e.API_KEY_CONFLUENCE_ACCESS),
      unauthenticatedConfluenceSpaces: isLoopbackHost(e.HOST)
        ? 'all'
        : apiKeySpaces(e.API_KEY_CONFLUENCE_ACCESS),
      forgeApiOrigins: [ATLASSIAN_API_ORIGIN, ...e.FORGE_EXTRA_API_ORIGINS.map((o) => new URL(o).origin)],
      cacheTtlMs: e.ACCESS_CACHE_TTL_MS,
      cacheMaxEntries: e.ACCESS_CACHE_MAX_ENTRIES,
    },
    retrievalTopK: e.RETRIEVAL_TOP_K,
    chatTimeoutMs: e.CHAT_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (e.NODE_ENV === 'production' ? 'json' : 'auto'),
    http: {
      allowedHosts: e.ALLOWED_HOSTS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      trustProxy: /^\d+$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY,
    },
    rateLimits: {
      chatPerMinute: e.RATE_LIMIT_CHAT_PER_MINUTE,
      uploadsPerMinute: e.RATE_LIMIT_UPLOADS_PER_MINUTE,
      authFailuresPerMinute: e.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
    },
  };
  return deepFreeze(config);
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.origin === value.replace(/\/$/, '').toLowerCase();
  } catch {
    return false;
  }
}

function apiKeySpaces(value: string): 'all' | string[] {
  if (value === 'all') return 'all';
  if (value === 'none') return [];
  return value.split(',').map((k) => k.trim());
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
