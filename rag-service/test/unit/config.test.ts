import path from 'node:path';
import { ConfigError, isLoopbackHost, loadConfig, SAMPLE_DOCS_DIR, SERVICE_ROOT } from '../../src/config.js';

describe('loadConfig', () => {
  it('has the contract defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: path.join(SERVICE_ROOT, 'data'),
      docsDir: SAMPLE_DOCS_DIR,
      vectorStore: 'embedded',
      llmProvider: 'none',
      embeddingsProvider: 'none',
      qdrant: { collection: 'knowledge' },
      openai: { model: 'gpt-4o-mini', embeddingModel: 'text-embedding-3-small' },
      gemini: { model: 'gemini-2.5-flash', embeddingModel: 'gemini-embedding-001' },
      logLevel: 'info',
    });
    expect(c.auth.forgeJwksUrl).toBe('https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json');
    expect(Object.isFrozen(c.auth)).toBe(true);
    expect(c.access).toEqual({
      apiKeyConfluenceSpaces: [],
      unauthenticatedConfluenceSpaces: 'all',
      forgeApiOrigins: ['https://api.atlassian.com'],
      cacheTtlMs: 60_000,
      cacheMaxEntries: 50_000,
    });
  });

  it('keeps history for 90 days and joins content gaps at 0.75 cosine by default; both are bounded', () => {
    expect(loadConfig({}).history).toEqual({ enabled: true, retentionDays: 90, gapSimilarity: 0.75 });
    expect(loadConfig({ INSIGHTS_GAP_SIMILARITY: '0.6' }).history.gapSimilarity).toBe(0.6);
    for (const bad of ['0', '1.5', 'high']) {
      expect(() => loadConfig({ INSIGHTS_GAP_SIMILARITY: bad })).toThrow(/INSIGHTS_GAP_SIMILARITY/);
    }
    expect(loadConfig({ INSIGHTS_GAP_SIMILARITY: '1' }).history.gapSimilarity).toBe(1);
  });

  it('reads an S3 bucket as the s3 source: a folder-like prefix, a region, an S3-compatible endpoint', () => {
    expect(loadConfig({}).s3).toBeUndefined();
    expect(loadConfig({ S3_BUCKET: 'kb-docs' }).s3).toEqual({
      bucket: 'kb-docs',
      prefix: '',
      forcePathStyle: false,
    });
    expect(
      loadConfig({
        S3_BUCKET: 'kb-docs',
        S3_PREFIX: '/team/docs',
        S3_REGION: 'eu-west-1',
        S3_ENDPOINT: 'http://minio:9000',
        S3_FORCE_PATH_STYLE: 'true',
      }).s3,
    ).toEqual({
      bucket: 'kb-docs',
      prefix: 'team/docs/',
      region: 'eu-west-1',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
    });
    expect(loadConfig({ S3_BUCKET: 'kb-docs', S3_PREFIX: 'docs/' }).s3?.prefix).toBe('docs/');
    expect(loadConfig({ S3_BUCKET: 'kb-docs', S3_PREFIX: '/docs//team//' }).s3?.prefix).toBe('docs/team/');
    expect(loadConfig({ S3_BUCKET: 'kb-docs', S3_REGION: 'auto' }).s3?.region).toBe('auto');
    for (const [env, problem] of [
      [{ S3_BUCKET: 'KB_Docs' }, /S3_BUCKET.*bucket name/],
      [{ S3_BUCKET: 'kb-docs', S3_REGION: 'Ireland' }, /S3_REGION.*region/],
      [{ S3_BUCKET: 'kb-docs', S3_ENDPOINT: 'minio:9000' }, /S3_ENDPOINT/],
      [{ S3_BUCKET: 'kb-docs', S3_FORCE_PATH_STYLE: 'maybe' }, /S3_FORCE_PATH_STYLE/],
      [{ S3_PREFIX: 'docs/' }, /S3_PREFIX and S3_ENDPOINT need S3_BUCKET/],
      [{ S3_BUCKET: 'kb-docs', S3_ENDPOINT: 'http://AKIAX:secret@minio:9000' }, /S3_ENDPOINT.*credentials/],
    ] as const) {
      expect(() => loadConfig(env)).toThrow(problem);
    }
  });

  it('shows calls without credentials every space on loopback only; elsewhere what API keys see', () => {
    const open = (env: Record<string, string>) => loadConfig(env).access.unauthenticatedConfluenceSpaces;
    expect(open({})).toBe('all');
    expect(open({ API_KEY_CONFLUENCE_ACCESS: 'HR' })).toBe('all');
    const proxied = { HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: 'true' };
    expect(open(proxied)).toEqual([]);
    expect(open({ ...proxied, API_KEY_CONFLUENCE_ACCESS: 'HR' })).toEqual(['HR']);
  });

  it('believes X-Forwarded-For from loopback by default; TRUST_PROXY names hops or proxies', () => {
    expect(loadConfig({}).http.trustProxy).toBe('loopback');
    expect(loadConfig({ TRUST_PROXY: '1' }).http.trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/16, fd00::/8' }).http.trustProxy).toBe(
      '10.0.0.0/16, fd00::/8',
    );
    expect(loadConfig({ TRUST_PROXY: '192.0.2.7,uniquelocal' }).http.trustProxy).toBe(
      '192.0.2.7,uniquelocal',
    );
  });

  it('limits each caller by default: 30 questions, 10 uploads and 20 failed authentications a minute', () => {
    expect(loadConfig({}).rateLimits).toEqual({
      chatPerMinute: 30,
      uploadsPerMinute: 10,
      authFailuresPerMinute: 20,
    });
    expect(loadConfig({}).http).toMatchObject({ requestTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000 });
  });

  it('adds the operator’s origins to where users’ tokens may go, as origins', () => {
    const origins = loadConfig({ FORGE_EXTRA_API_ORIGINS: 'http://127.0.0.1:8090, https://gw.example/' })
      .access.forgeApiOrigins;
    expect(origins).toEqual(['https://api.atlassian.com', 'http://127.0.0.1:8090', 'https://gw.example']);
  });

  it('reads what API-key callers may see of Confluence', () => {
    const spaces = (v: string) => loadConfig({ API_KEY_CONFLUENCE_ACCESS: v }).access.apiKeyConfluenceSpaces;
    expect(spaces('all')).toBe('all');
    expect(spaces('none')).toEqual([]);
    expect(spaces('ENG, ops_2')).toEqual(['ENG', 'ops_2']);
  });

  it('derives providers and the store from the keys that are set', () => {
    expect(loadConfig({ OPENAI_API_KEY: 'k' })).toMatchObject({
      llmProvider: 'openai',
      embeddingsProvider: 'openai',
    });
    expect(loadConfig({ GOOGLE_API_KEY: 'k' })).toMatchObject({
      llmProvider: 'gemini',
      embeddingsProvider: 'gemini',
    });
    expect(loadConfig({ OPENAI_API_KEY: 'k', EMBEDDINGS_PROVIDER: 'none' }).embeddingsProvider).toBe('none');
    expect(loadConfig({ QDRANT_URL: 'http://localhost:6333' }).vectorStore).toBe('qdrant');
  });

  it('parses lists and trims them', () => {
    const c = loadConfig({ API_KEYS: ' a , b,,', CONFLUENCE_SPACES: 'ENG, OPS' });
    expect(c.auth.apiKeys).toEqual(['a', 'b']);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ VECTOR_STORE: 'pinecone' }, 'VECTOR_STORE'],
    [{ LLM_PROVIDER: 'claude' }, 'LLM_PROVIDER'],
    [{ LLM_PROVIDER: 'openai' }, 'OPENAI_API_KEY'],
    [{ QDRANT_URL: 'not a url' }, 'QDRANT_URL'],
    [{ VECTOR_STORE: 'qdrant' }, 'QDRANT_URL'],
    [{ CONFLUENCE_URL: 'https://x.atlassian.net' }, 'CONFLUENCE_USERNAME'],
    [
      { CONFLUENCE_URL: 'https://x.atlassian.net/wiki', CONFLUENCE_USERNAME: 'u', CONFLUENCE_API_TOKEN: 't' },
      'without /wiki',
    ],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ RETRIEVAL_TOP_K: '0' }, 'RETRIEVAL_TOP_K'],
    [{ CHAT_TIMEOUT_MS: '10' }, 'CHAT_TIMEOUT_MS'],
    [{ REINDEX_CRON: 'often' }, 'REINDEX_CRON'],
    [{ FORGE_APP_ID: 'my-app' }, 'FORGE_APP_ID'],
    [{ ALLOW_UNAUTHENTICATED: 'maybe' }, 'ALLOW_UNAUTHENTICATED'],
    [{ API_KEY_CONFLUENCE_ACCESS: 'ENG;HR' }, 'API_KEY_CONFLUENCE_ACCESS'],
    [{ API_KEY_CONFLUENCE_ACCESS: '' }, 'API_KEY_CONFLUENCE_ACCESS'],
    [{ ACCESS_CACHE_TTL_MS: '-1' }, 'ACCESS_CACHE_TTL_MS'],
    [{ FORGE_EXTRA_API_ORIGINS: 'https://gw.example/ex/confluence' }, 'FORGE_EXTRA_API_ORIGINS'],
    [{ FORGE_EXTRA_API_ORIGINS: 'ftp://gw.example' }, 'FORGE_EXTRA_API_ORIGINS'],
    [{ FORGE_EXTRA_API_ORIGINS: 'https://user:pw@gw.example' }, 'FORGE_EXTRA_API_ORIGINS'],
    [{ ACCESS_CACHE_MAX_ENTRIES: 'lots' }, 'ACCESS_CACHE_MAX_ENTRIES'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: 'my-alb' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: 'abc' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/8/1' }, 'TRUST_PROXY'],
    [{ PORT: '' }, 'PORT'],
  ])('stops on %j naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('refuses a public address without credentials, and says how to fix it', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/HOST=0\.0\.0\.0.*API_KEYS/s);
    expect(loadConfig({ HOST: '0.0.0.0', API_KEYS: 'k' }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: 'true' }).auth.allowUnauthenticated).toBe(
      true,
    );
    expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com'].some(isLoopbackHost)).toBe(false);
  });
});
