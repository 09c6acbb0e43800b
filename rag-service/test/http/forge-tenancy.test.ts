import { Writable } from 'node:stream';
import request from 'supertest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { ForgeSigner, TEST_APP_ID, TEST_INSTALLATION_ID } from '../fakes/forge-signer.js';
import { startTestService } from '../helpers/service.js';
import { useForgeTestService } from '../helpers/forge-service.js';

const OTHER_SITE = 'ari:cloud:ecosystem::installation/other-site-5678';
const QUESTION = { message: 'How do I reindex the knowledge base?' };

/** The app's claims as Forge signs them for one installation in one environment. */
const appOf = (installationId: string, environment: string) => ({
  id: TEST_APP_ID,
  installationId,
  apiBaseUrl: 'https://api.atlassian.com/ex/confluence/cloud-1',
  environment: { type: environment, id: 'env-1' },
});

/** Only the installations and environments the operator names reach the knowledge base. */
describe('Forge tenancy', () => {
  const service = useForgeTestService({
    // FORGE_ENVIRONMENTS empty: PRODUCTION only.
    FORGE_INSTALLATION_IDS: TEST_INSTALLATION_ID,
    FORGE_ENVIRONMENTS: '',
  });
  const bearer = async (installationId: string, environment = 'PRODUCTION') =>
    `Bearer ${await service.forge.token({ app: appOf(installationId, environment) })}`;

  it('serves a token of the configured installation in production', async () => {
    const res = await request(service.t.url)
      .post('/api/v1/chat')
      .set('Authorization', await bearer(TEST_INSTALLATION_ID))
      .send(QUESTION);
    expect(res.status).toBe(200);
    const jobs = await request(service.t.url)
      .get('/api/v1/admin/jobs')
      .set('Authorization', await bearer(TEST_INSTALLATION_ID));
    expect(jobs.status).toBe(200);
  });

  it.each([
    ['POST', '/api/v1/chat'],
    ['GET', '/api/v1/admin/jobs'],
    ['POST', '/api/v1/admin/reindex'],
    ['GET', '/api/v1/admin/index'],
  ])('refuses another installation of the same app on %s %s, naming it', async (method, route) => {
    const call =
      method === 'GET'
        ? request(service.t.url).get(route)
        : request(service.t.url).post(route).send(QUESTION);
    const res = await call.set('Authorization', await bearer(OTHER_SITE));
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({
      code: 'forbidden',
      message: `the Forge installation ${OTHER_SITE} is not served here (FORGE_INSTALLATION_IDS)`,
    });
  });

  it('refuses the configured installation’s development environment', async () => {
    const res = await request(service.t.url)
      .post('/api/v1/chat')
      .set('Authorization', await bearer(TEST_INSTALLATION_ID, 'DEVELOPMENT'))
      .send(QUESTION);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      `the Forge installation ${TEST_INSTALLATION_ID} runs in the DEVELOPMENT environment, not served here (FORGE_ENVIRONMENTS: PRODUCTION)`,
    );
  });

  it('refuses a token that names no installation', async () => {
    const res = await request(service.t.url)
      .post('/api/v1/chat')
      .set('Authorization', `Bearer ${await service.forge.token({ app: { installationId: undefined } })}`)
      .send(QUESTION);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('(none)');
  });
});

describe('Forge tenancy settings', () => {
  it('refuses to start with FORGE_APP_ID alone, and says what to set', () => {
    expect(() => loadConfig({ FORGE_APP_ID: TEST_APP_ID })).toThrow(ConfigError);
    expect(() => loadConfig({ FORGE_APP_ID: TEST_APP_ID })).toThrow(
      /FORGE_INSTALLATION_IDS.*forge install list/s,
    );
  });

  it('reads installations and environments, PRODUCTION by default', () => {
    const auth = loadConfig({
      FORGE_APP_ID: TEST_APP_ID,
      FORGE_INSTALLATION_IDS: `${TEST_INSTALLATION_ID}, ${OTHER_SITE}`,
    }).auth;
    expect(auth.forgeInstallationIds).toEqual([TEST_INSTALLATION_ID, OTHER_SITE]);
    expect(auth.forgeEnvironments).toEqual(['PRODUCTION']);
    expect(
      loadConfig({
        FORGE_APP_ID: TEST_APP_ID,
        FORGE_INSTALLATION_IDS: '*',
        FORGE_ENVIRONMENTS: 'production,development',
      }).auth,
    ).toMatchObject({
      forgeInstallationIds: '*',
      forgeEnvironments: ['PRODUCTION', 'DEVELOPMENT'],
    });
  });

  it.each([
    [{ FORGE_INSTALLATION_IDS: 'site-1' }, 'FORGE_INSTALLATION_IDS'],
    [{ FORGE_INSTALLATION_IDS: '*', FORGE_ENVIRONMENTS: 'LIVE' }, 'FORGE_ENVIRONMENTS'],
  ])('stops on %j naming %s', (env, name) => {
    expect(() => loadConfig({ FORGE_APP_ID: TEST_APP_ID, ...env })).toThrow(name);
  });

  it('accepts any installation with *, and says so in the log at start', async () => {
    const forge = await ForgeSigner.create();
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logged += chunk.toString();
        cb();
      },
    });
    const t = await startTestService(
      {
        FORGE_APP_ID: TEST_APP_ID,
        FORGE_JWKS_URL: forge.jwksUrl,
        FORGE_INSTALLATION_IDS: '*',
        LOG_LEVEL: 'warn',
      },
      { logTo: sink },
    );
    try {
      expect(logged).toContain('FORGE_INSTALLATION_IDS=*: a token from any installation of the app');
      const res = await request(t.url)
        .post('/api/v1/chat')
        .set('Authorization', `Bearer ${await forge.token({ app: appOf(OTHER_SITE, 'DEVELOPMENT') })}`)
        .send(QUESTION);
      expect(res.status).toBe(200);
    } finally {
      await t.close();
      await forge.close();
    }
  });
});
