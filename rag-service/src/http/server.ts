import { createServer, type RequestListener, type Server } from 'node:http';
import type { Config } from '../config.js';

/** The longest a client may take to send its headers (less when the whole request must be quicker). */
export const HEADERS_TIMEOUT_MS = 20_000;

/**
 * The HTTP server the app runs in, with limits on slow clients: headers within 20 s, the whole request
 * (body included) within `requestTimeoutMs`, else 408 and the connection is closed; an idle kept-alive
 * connection is closed after `keepAliveTimeoutMs`. Node checks the first two on a sweep (30 s apart by
 * default), so the sweep runs every second, or sooner for the short timeouts tests use.
 */
export function createHttpServer(app: RequestListener, limits: Config['http']): Server {
  const headersTimeout = Math.min(HEADERS_TIMEOUT_MS, limits.requestTimeoutMs);
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(headersTimeout / 4)),
    },
    app,
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  return server;
}
