import { connect } from 'node:net';
import type { Config } from '../../src/config.js';
import { createHttpServer, HEADERS_TIMEOUT_MS } from '../../src/http/server.js';
import { useTestService } from '../helpers/service.js';

/** Far above the 1 s configured below, far below Node's own defaults (5 min for a request). */
const GENEROUS_MS = 15_000;

interface Outcome {
  answer: string;
  closedAfterMs: number;
}

/**
 * Sends `head` at once, then one byte every 200 ms (never idle for long, so only a limit on the whole
 * request can stop it), until the server closes the connection or GENEROUS_MS passes.
 */
function trickle(url: string, head: string): Promise<Outcome> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const started = Date.now();
    let answer = '';
    const drip = setInterval(() => socket.write('['), 200);
    const giveUp = setTimeout(() => {
      clearInterval(drip);
      socket.destroy();
      reject(new Error(`still connected after ${GENEROUS_MS} ms; answer so far: ${JSON.stringify(answer)}`));
    }, GENEROUS_MS);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(giveUp);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
    socket.write(head);
  });
}

/** One byte per few seconds must not hold a connection (and a request slot) for minutes. */
describe('slow clients', () => {
  const t = useTestService({ HTTP_REQUEST_TIMEOUT_MS: '1000' });
  const host = () => new URL(t.url).host;

  it('closes a connection whose body trickles in, with a 408, once the request timeout has passed', async () => {
    const outcome = await trickle(
      t.url,
      `POST /api/v1/chat HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`,
    );
    expect(outcome.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(900);
  });

  it('closes a connection whose headers never end', async () => {
    const outcome = await trickle(t.url, `GET /healthz HTTP/1.1\r\nHost: ${host()}\r\nX-Slow: `);
    expect(outcome.answer).toMatch(/^(HTTP\/1\.1 408 |$)/);
  });

  it('still answers a request that arrives in time', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});

interface IdleOutcome {
  /** The answer to the one request sent, headers and body. */
  answer: string;
  /** From the end of that answer to the server closing the connection. */
  idleMs: number;
}

/**
 * Sends one keep-alive request, reads the answer, then stays connected without a word until the server
 * closes the connection, or GENEROUS_MS passes.
 */
function idleAfterOneRequest(url: string, path: string): Promise<IdleOutcome> {
  const { hostname, port, host } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    let answeredAt: number | undefined;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still connected after ${GENEROUS_MS} ms; answer: ${JSON.stringify(answer)}`));
    }, GENEROUS_MS);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      const end = answer.indexOf('\r\n\r\n');
      const length = Number(/^content-length: *(\d+)/im.exec(answer)?.[1] ?? NaN);
      if (answeredAt === undefined && end >= 0 && answer.length >= end + 4 + length) answeredAt = Date.now();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(giveUp);
      if (answeredAt === undefined)
        reject(new Error(`closed before a whole answer: ${JSON.stringify(answer)}`));
      else resolve({ answer, idleMs: Date.now() - answeredAt });
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n\r\n`);
  });
}

/** An idle kept-alive connection holds a socket; it is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS, not Node's 5 s. */
describe('idle kept-alive connections', () => {
  const t = useTestService({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' });

  it('are closed by the server once HTTP_KEEP_ALIVE_TIMEOUT_MS has passed, and not long before', async () => {
    const outcome = await idleAfterOneRequest(t.url, '/healthz');
    expect(outcome.answer).toMatch(/^HTTP\/1\.1 200 /);
    // What the server promises the client, then what it does.
    expect(outcome.answer).toMatch(/^keep-alive: timeout=1\r$/im);
    expect(outcome.idleMs).toBeGreaterThanOrEqual(800);
    // Node closes the socket up to a second after the timeout (about 2 s here); its default would take 6 s.
    expect(outcome.idleMs).toBeLessThan(4_500);
  });
});

describe('createHttpServer', () => {
  const limits = (requestTimeoutMs: number): Config['http'] => ({
    allowedHosts: [],
    requestTimeoutMs,
    keepAliveTimeoutMs: 1_000,
    trustProxy: 'loopback',
  });
  const noop = () => undefined;

  it('gives a client at most 20 s for its headers, however long the whole request may take', () => {
    expect(HEADERS_TIMEOUT_MS).toBe(20_000);
    const server = createHttpServer(noop, limits(60_000));
    expect(server.headersTimeout).toBe(20_000);
    expect(server.requestTimeout).toBe(60_000);
    expect(server.keepAliveTimeout).toBe(1_000);
  });

  it('gives less for the headers when the whole request must be quicker', () => {
    const server = createHttpServer(noop, limits(5_000));
    expect(server.headersTimeout).toBe(5_000);
    expect(server.requestTimeout).toBe(5_000);
  });
});
