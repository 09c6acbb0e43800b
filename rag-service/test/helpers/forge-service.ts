import { ForgeSigner, TEST_APP_ID } from '../fakes/forge-signer.js';
import { startTestService, type TestService } from './service.js';

/** A test service that takes Forge calls, and the signer whose tokens it accepts. */
export interface ForgeTestService {
  readonly t: TestService;
  readonly forge: ForgeSigner;
}

/**
 * For a describe block about Forge calls: a signer with its JWKS, and a service that verifies against it
 * (FORGE_APP_ID and FORGE_JWKS_URL set; `env` adds or overrides), synced before the first test.
 */
export function useForgeTestService(env: Record<string, string> = {}): ForgeTestService {
  const started: { t?: TestService; forge?: ForgeSigner } = {};
  beforeAll(async () => {
    started.forge = await ForgeSigner.create();
    started.t = await startTestService({
      FORGE_APP_ID: TEST_APP_ID,
      FORGE_JWKS_URL: started.forge.jwksUrl,
      ...env,
    });
    await started.t.synced;
  });
  afterAll(async () => {
    await started.t?.close();
    await started.forge?.close();
  });
  return {
    get t() {
      if (!started.t) throw new Error('the Forge test service starts in beforeAll');
      return started.t;
    },
    get forge() {
      if (!started.forge) throw new Error('the Forge signer starts in beforeAll');
      return started.forge;
    },
  };
}
