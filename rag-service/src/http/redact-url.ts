/**
 * Query parameters that carry credentials when a client puts them in the URL: `key`, `token`, `password`,
 * `secret`, `api_key`/`apikey`, and any `…_token`, `…_secret`, `…_key`, `…_password` (`access_token`).
 */
const SECRET_PARAMETER = /^(?:key|token|password|secret|api-?key|.+-(?:token|secret|key|password))$/i;

function parameterName(raw: string): string {
  let name = raw.replace(/\+/g, ' ');
  try {
    name = decodeURIComponent(name);
  } catch {
    // A malformed escape is still compared as written.
  }
  // `api_key` and `api-key`, `token[]` and `token` are the same parameter to most frameworks.
  return name.replace(/\[.*$/, '').trim().replace(/_/g, '-');
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
      return eq >= 0 && SECRET_PARAMETER.test(parameterName(name)) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, start + 1)}${query.join('&')}`;
}
