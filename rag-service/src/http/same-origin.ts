import type { Request, RequestHandler } from 'express';
import { isLoopbackHost } from '../config.js';
import { AppError } from '../errors.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** `none`: the user started the request themselves (typed it, a bookmark); no other site was involved. */
const OWN_SITE = new Set(['same-origin', 'none']);

const quoted = (value: string) => JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);

/** The origins this request would have if it came from our own pages: scheme + Host (or the proxy's host). */
function ownOrigins(req: Request): string[] {
  const hosts = new Set([req.headers.host, req.host].filter(Boolean).map((h) => h!.toLowerCase()));
  return [...hosts].map((host) => `${req.protocol}://${host}`);
}

/**
 * Refuses state-changing calls that a browser makes for another site. A web page may send a form post,
 * a multipart upload or an empty POST to any address without asking (no CORS preflight), so without
 * credentials to check, a page the local user opens could index documents or start syncs here. Browsers
 * say where a request comes from (`Sec-Fetch-Site`, or `Origin` in older ones); clients outside a browser
 * (curl, servers, Forge) send neither and pass.
 */
export const refuseCrossSite: RequestHandler = (req, _res, next) => {
  if (!STATE_CHANGING.has(req.method)) {
    next();
    return;
  }
  const site = req.get('sec-fetch-site');
  if (site !== undefined) {
    if (!OWN_SITE.has(site.toLowerCase())) {
      throw new AppError(
        'forbidden',
        `cross-site request refused: the browser sent it for another site (Sec-Fetch-Site: ${quoted(site)}); ` +
          "this API takes changes only from this service's own pages or from clients outside a browser",
      );
    }
    next();
    return;
  }
  const origin = req.get('origin');
  if (origin !== undefined) {
    const own = ownOrigins(req);
    if (!own.includes(origin.toLowerCase())) {
      throw new AppError(
        'forbidden',
        `cross-site request refused: Origin ${quoted(origin)} is not this service's origin (${own[0] ?? 'unknown'})`,
      );
    }
  }
  next();
};

/** `*.localhost` always means this machine to a browser (RFC 6761), so it cannot be rebound either. */
function isLocalName(hostname: string): boolean {
  return isLoopbackHost(hostname) || hostname.endsWith('.localhost');
}

/** The name in a Host header: `name`, `name:port`, `[v6]` or `[v6]:port`, lower case, without a final dot. */
function hostnameOf(host: string): string {
  const name = /^(\[[^\]]*\]|[^:[\]]*)(?::\d*)?$/.exec(host.trim().toLowerCase())?.[1] ?? '';
  return name.replace(/\.$/, '');
}

/**
 * Without credentials, answers only requests addressed to this machine by name (or to `allowedHosts`).
 * A page on evil.example can point its own name at 127.0.0.1 (DNS rebinding) and then read our answers
 * as same-origin; its requests still say `Host: evil.example`, which is how they are told apart.
 */
export function hostGuard(allowedHosts: readonly string[]): RequestHandler {
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase().replace(/\.$/, '')));
  return (req, _res, next) => {
    const host = req.headers.host ?? '';
    const name = hostnameOf(host);
    if (name && (isLocalName(name) || allowed.has(name))) {
      next();
      return;
    }
    throw new AppError(
      'forbidden',
      `Host ${quoted(host)} is not a name of this machine: without API keys the service answers only requests ` +
        'addressed to localhost, 127.0.0.1 or [::1], so that a web page cannot reach it through DNS rebinding ' +
        '(add the name to ALLOWED_HOSTS, or configure API keys)',
    );
  };
}
