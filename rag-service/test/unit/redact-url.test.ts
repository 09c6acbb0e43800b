import { redactQuerySecrets } from '../../src/http/redact-url.js';

describe('redactQuerySecrets', () => {
  it('redacts the values of secret-looking parameters and leaves the rest alone', () => {
    expect(redactQuerySecrets('/api/v1/admin/jobs?limit=5&api_key=s3cr3t&access_token=t0k3n')).toBe(
      '/api/v1/admin/jobs?limit=5&api_key=[redacted]&access_token=[redacted]',
    );
    expect(redactQuerySecrets('/api/v1/admin/jobs?limit=5&monkey=banana')).toBe(
      '/api/v1/admin/jobs?limit=5&monkey=banana',
    );
    expect(redactQuerySecrets('/healthz')).toBe('/healthz');
  });

  it('reads a parameter name as a framework would: percent-escapes decoded', () => {
    for (const name of ['api%5Fkey', 'api%5fkey', '%74oken', 'access%5Ftoken', 'pass%77ord'])
      expect([name, redactQuerySecrets(`/x?${name}=s3cr3t`)]).toEqual([name, `/x?${name}=[redacted]`]);
  });

  it('reads a parameter name as a framework would: a bracketed suffix is the same parameter', () => {
    for (const name of ['token[]', 'token[0]', 'api_key[a][b]', 'password%5B%5D'])
      expect([name, redactQuerySecrets(`/x?${name}=s3cr3t`)]).toEqual([name, `/x?${name}=[redacted]`]);
  });

  it('reads a malformed escape as written instead of throwing', () => {
    expect(redactQuerySecrets('/x?token%=s3cr3t&to%zzken=plain')).toBe('/x?token%=[redacted]&to%zzken=plain');
  });

  it.each([
    'accessToken',
    'apiToken',
    'apiKey',
    'authorization',
    'auth',
    'jwt',
    'credentials',
    'pwd',
    'passwd',
    'client_secret',
    'X-Amz-Signature',
    'sig',
  ])('redacts %s, a credential by any common name', (name) => {
    expect(redactQuerySecrets(`/x?${name}=s3cr3t&q=kept`)).toBe(`/x?${name}=[redacted]&q=kept`);
  });

  it.each(['keyword', 'keys_only', 'monkey', 'tokenizer', 'author'])(
    'keeps %s, which only looks like one',
    (name) => {
      expect(redactQuerySecrets(`/x?${name}=visible`)).toBe(`/x?${name}=visible`);
    },
  );
});
