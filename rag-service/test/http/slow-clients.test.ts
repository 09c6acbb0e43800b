import { connect } from 'node:net';
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
