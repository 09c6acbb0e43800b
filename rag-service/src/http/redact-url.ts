/**
 * Words that make a query parameter a credential wherever they stand in its name (`token`,
 * `access_token`, `accessToken`, `X-Amz-Signature`, `authorization`…); `key` counts only as the last word
 * (`key`, `api_key`, `apiKey`), so `keyword` and `keys_only` stay readable.
 */
const SECRET_WORDS = new Set([
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'apikey',
  'jwt',
  'auth',
  'authorization',
  'credential',
  'credentials',
  'signature',
  'sig',
]);

function isSecretParameter(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return words.some((w) => SECRET_WORDS.has(w)) || words.at(-1) === 'key';
}

function parameterName(raw: string): string {
  let name = raw.replace(/\+/g, ' ');
  try {
    name = decodeURIComponent(name);
  } catch {
    // A malformed escape is still compared as written.
  }
  // `token[]` and `token` are the same parameter to most frameworks.
  return name.replace(/\[.*$/, '').trim();
}

/** The URL with the values of secret-looking query parameters replaced, for request logs. */
export function redactQuerySecrets(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const query = url
    .slice(start + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && isSecretParameter(parameterName(name)) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, start + 1)}${query.join('&')}`;
}
