import { connect } from 'node:net';
import type { Config } from '../../src/config.js';
import { createHttpServer, HEADERS_TIMEOUT_MS } from '../../src/http/server.js';
import { useTestService } from '../helpers/service.js';

/** Far above the 1 s configured below, far below Node's own defaults (5 min for a request). */
const GENEROUS_MS = 15_000;

interface Outcome {
  answer: string;
}

/**
 * Sends `head` at once, then one byte every 200 ms (never idle for long, so only a limit on the whole
 * request can stop it), until the server closes the connection or GENEROUS_MS passes.
 */
function trickle(url: string, head: string): Promise<Outcome> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
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
      resolve({ answer });
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
    // A 408 is what Node's request timer sends, and only it: the body never went quiet for long, so no idle
    // timer closed it, and it never ended, so no other limit did. (When the timer fires is Node's to keep.)
    expect(outcome.answer).toMatch(/^HTTP\/1\.1 408 /);
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
  /** The answers to the two requests sent, one right after the other, headers and bodies. */
  answers: string[];
  /** The server ended the connection (its FIN came first), rather than the client giving up. */
  closedByServer: boolean;
}

/**
 * Sends a keep-alive request, and once its answer is whole a second one on the same connection; then
 * stays connected without a word until the server closes the connection, or GENEROUS_MS passes.
 */
function idleAfterTwoRequests(url: string, path: string): Promise<IdleOutcome> {
  const { hostname, port, host } = new URL(url);
  const ask = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const answers: string[] = [];
    let pending = '';
    let closedByServer = false;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still connected after ${GENEROUS_MS} ms; answers: ${JSON.stringify(answers)}`));
    }, GENEROUS_MS);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      const end = pending.indexOf('\r\n\r\n');
      const length = Number(/^content-length: *(\d+)/im.exec(pending)?.[1] ?? NaN);
      if (end < 0 || pending.length < end + 4 + length) return;
      answers.push(pending.slice(0, end + 4 + length));
      pending = pending.slice(end + 4 + length);
      if (answers.length === 1) socket.write(ask);
    });
    socket.on('end', () => (closedByServer = true));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ answers, closedByServer });
    });
    socket.write(ask);
  });
}

/** An idle kept-alive connection holds a socket; it is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS, not Node's 5 s. */
describe('idle kept-alive connections', () => {
  const t = useTestService({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' });

  it('are kept for the next request, then closed by the server after the configured idle time', async () => {
    const outcome = await idleAfterTwoRequests(t.url, '/healthz');
    // Not closed too soon: the connection carried a second request after the first answer.
    expect(outcome.answers).toHaveLength(2);
    for (const answer of outcome.answers) expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    // What the server promises the client is the configured timeout (Node writes it from the timer it
    // runs, 5 s by default), and the server kept it: it closed the idle connection itself.
    for (const answer of outcome.answers) expect(answer).toMatch(/^keep-alive: timeout=1\r$/im);
    expect(outcome.closedByServer).toBe(true);
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
