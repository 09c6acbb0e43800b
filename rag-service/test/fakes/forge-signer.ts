import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { LocalServer } from './local-server.js';

export const TEST_APP_ID = 'ari:cloud:ecosystem::app/6d3b5c8e-1111-4e5a-9f00-0123456789ab';
/** The installation (and environment) the signer's tokens come from unless a test says otherwise. */
export const TEST_INSTALLATION_ID = 'ari:cloud:ecosystem::installation/1234';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
  /** What it signs with (Forge: RS256). */
  alg: string;
}

/**
 * An RSA key pair for signing tokens. `published: 'without alg'` leaves `alg` out of the JWK, as many
 * JWKS do: then only the verifier's own algorithm list stops a token signed another way.
 */
export async function signingKey(
  kid: string,
  alg: 'RS256' | 'PS256' = 'RS256',
  published: 'with alg' | 'without alg' = 'with alg',
): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = {
    ...(await exportJWK(publicKey)),
    kid,
    use: 'sig',
    ...(published === 'with alg' ? { alg } : {}),
  };
  return { kid, privateKey, jwk, alg };
}

/**
 * Forge's side of the trust, for tests: RSA keys published as a JWKS over HTTP (counting fetches, so
 * caching and refresh show) and Forge Invocation Tokens signed with them, with Forge's claims.
 */
export class ForgeSigner extends LocalServer {
  jwksFetches = 0;
  private published: SigningKey[] = [];

  static async create(): Promise<ForgeSigner> {
    const signer = new ForgeSigner();
    signer.published = [await signingKey('forge-key-1')];
    return signer.start();
  }

  get jwksUrl(): string {
    return `${this.url}/.well-known/jwks.json`;
  }

  get key(): SigningKey {
    return this.published[0]!;
  }

  /** Forge rotates keys: the new one is published beside the old. */
  publish(key: SigningKey): void {
    this.published.push(key);
  }

  protected async receive(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.jwksFetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: this.published.map((k) => k.jwk) }));
  }

  /**
   * A token as Forge mints it for a UI-invoked remote call; `claims` override any claim for a test, and
   * `app`'s fields one by one (a test naming another installation keeps the environment Forge always sends).
   */
  async token(claims: JWTPayload = {}, key: SigningKey = this.key): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const app = {
      id: TEST_APP_ID,
      installationId: TEST_INSTALLATION_ID,
      apiBaseUrl: 'https://api.atlassian.com/ex/confluence/cloud-1',
      environment: { type: 'DEVELOPMENT', id: 'env-1' },
      module: { type: 'xen:macro', key: 'kb-page-assistant' },
      ...(claims.app as object | undefined),
    };
    return new SignJWT({
      iss: 'forge/invocation-token',
      aud: TEST_APP_ID,
      iat: now,
      nbf: now,
      exp: now + 60,
      context: { cloudId: 'cloud-1', moduleKey: 'kb-page-assistant' },
      principal: 'acc-reader',
      ...claims,
      app,
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid })
      .sign(key.privateKey);
  }
}
