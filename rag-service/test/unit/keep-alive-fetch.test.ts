import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { once } from 'node:events';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { SERVICE_ROOT } from '../../src/config.js';
import { keepAliveFetch } from '../../src/net/keep-alive-fetch.js';
import { tempDir } from '../helpers/temp.js';

const execFileAsync = promisify(execFile);

/** A plain HTTP server; `connections` counts the TCP connections it accepted. */
async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>) {
  const server = http.createServer((req, res) => void handler(req, res));
  let connections = 0;
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

describe('keepAliveFetch, the model clients’ transport', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    server = await serve(async (req, res) => {
      const body = await readBody(req);
      switch (req.url) {
        case '/echo':
          res.setHeader('content-type', 'application/json');
          res.setHeader('x-multi', ['one', 'two']);
          res.end(JSON.stringify({ method: req.method, headers: req.headers, body }));
          return;
        case '/gzip':
          res.setHeader('content-encoding', 'gzip');
          res.end(zlib.gzipSync('squeezed text'));
          return;
        case '/br':
          res.setHeader('content-encoding', 'br');
          res.end(zlib.brotliCompressSync('brotli text'));
          return;
        case '/empty':
          res.statusCode = 204;
          res.end();
          return;
        case '/teapot':
          res.statusCode = 418;
          res.statusMessage = 'I am a teapot';
          res.end('{"error":"short and stout"}');
          return;
        case '/moved':
          res.statusCode = 307;
          res.setHeader('location', '/echo');
          res.end();
          return;
        case '/stream':
          res.write('data: first\n\n');
          await new Promise<void>((resolve) => (release = resolve));
          res.end('data: last\n\n');
          return;
        case '/hang':
          return; // never answers
      }
    });
  });
  afterAll(() => server.close());

  it('sends the method, headers and body, and returns status, headers and JSON', async () => {
    const res = await keepAliveFetch(`${server.url}/echo`, {
      method: 'post',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      body: JSON.stringify({ question: 'héllo' }),
    });
    expect(res.status).toBe(200);
    expect(res.ok).toBe(true);
    expect(res.headers.get('x-multi')).toBe('one, two');
    const seen = (await res.json()) as { method: string; headers: Record<string, string>; body: string };
    expect(seen.method).toBe('POST');
    expect(JSON.parse(seen.body)).toEqual({ question: 'héllo' });
    expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(seen.body)));
    expect(seen.headers.authorization).toBe('Bearer k');
    expect(seen.headers['accept-encoding']).toMatch(/gzip/);
  });

  it('sends byte and form bodies with their lengths', async () => {
    const bytes = await keepAliveFetch(`${server.url}/echo`, {
      method: 'PUT',
      body: new TextEncoder().encode('bytes'),
    });
    expect(((await bytes.json()) as { body: string }).body).toBe('bytes');
    const form = await keepAliveFetch(`${server.url}/echo`, {
      method: 'POST',
      body: new URLSearchParams({ a: '1' }),
    });
    const seen = (await form.json()) as { body: string; headers: Record<string, string> };
    expect(seen.body).toBe('a=1');
    expect(seen.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
  });

  it('keeps the connection alive between calls', async () => {
    const before = server.connections();
    for (let i = 0; i < 5; i++) await (await keepAliveFetch(`${server.url}/echo`)).text();
    expect(server.connections() - before).toBeLessThanOrEqual(1);
  });

  it('decodes gzip and brotli bodies', async () => {
    expect(await (await keepAliveFetch(`${server.url}/gzip`)).text()).toBe('squeezed text');
    expect(await (await keepAliveFetch(`${server.url}/br`)).text()).toBe('brotli text');
  });

  it('returns error statuses as responses and 204 with no body', async () => {
    const teapot = await keepAliveFetch(`${server.url}/teapot`);
    expect([teapot.status, teapot.statusText, teapot.ok]).toEqual([418, 'I am a teapot', false]);
    expect(await teapot.json()).toEqual({ error: 'short and stout' });
    const empty = await keepAliveFetch(`${server.url}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it('follows redirects', async () => {
    const res = await keepAliveFetch(`${server.url}/moved`, { method: 'POST', body: 'again' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { body: string }).body).toBe('again');
  });

  it('streams the body as it arrives', async () => {
    const res = await keepAliveFetch(`${server.url}/stream`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: first\n\n');
    release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += new TextDecoder().decode(r.value);
    expect(rest).toBe('data: last\n\n');
  });

  it('rejects with the abort reason before the headers, and errors the body after them', async () => {
    const early = new AbortController();
    const pending = keepAliveFetch(`${server.url}/hang`, { signal: early.signal });
    early.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });

    const already = AbortSignal.abort(new Error('gave up'));
    await expect(keepAliveFetch(`${server.url}/echo`, { signal: already })).rejects.toThrow('gave up');

    const late = new AbortController();
    const res = await keepAliveFetch(`${server.url}/stream`, { signal: late.signal });
    const reader = res.body!.getReader();
    await reader.read();
    late.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
    release();
  });

  it('fails as fetch does when nothing listens', async () => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as net.AddressInfo;
    probe.close();
    await once(probe, 'close');
    const failure = await keepAliveFetch(`http://127.0.0.1:${port}/`).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as Error).message).toBe('fetch failed');
    expect(((failure as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('sends a request again on a new connection when the kept-alive one was dropped by the server', async () => {
    // Answers the first request on each connection with keep-alive, then resets it on the next one.
    const sockets: net.Socket[] = [];
    const raw = net.createServer((socket) => {
      sockets.push(socket);
      let requests = 0;
      socket.on('data', () => {
        if (++requests > 1) return socket.resetAndDestroy();
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
      });
    });
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    const url = `http://127.0.0.1:${(raw.address() as net.AddressInfo).port}/`;
    try {
      expect(await (await keepAliveFetch(url, { method: 'POST', body: 'one' })).text()).toBe('ok');
      expect(await (await keepAliveFetch(url, { method: 'POST', body: 'two' })).text()).toBe('ok');
    } finally {
      for (const socket of sockets) socket.destroy();
      raw.close();
    }
  });

  it('speaks HTTPS: refuses a certificate it cannot verify, trusts one given by NODE_EXTRA_CA_CERTS', async () => {
    const tls = path.join(SERVICE_ROOT, 'test/fakes/tls');
    const secure = https.createServer(
      {
        key: readFileSync(path.join(tls, 'localhost.key')),
        cert: readFileSync(path.join(tls, 'localhost.crt')),
      },
      (req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ secure: 'encrypted' in req.socket && req.socket.encrypted === true }));
      },
    );
    secure.listen(0, '127.0.0.1');
    await once(secure, 'listening');
    const url = `https://127.0.0.1:${(secure.address() as net.AddressInfo).port}/`;
    try {
      const refused = await keepAliveFetch(url).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(TypeError);
      expect(((refused as Error).cause as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');

      // How an operator trusts an internal CA (a self-hosted model server): only read at process start.
      const client = [
        `import { keepAliveFetch } from ${JSON.stringify(path.join(SERVICE_ROOT, 'src/net/keep-alive-fetch.ts'))};`,
        `const res = await keepAliveFetch(${JSON.stringify(url)}, { method: 'POST', body: '{}' });`,
        'console.log(JSON.stringify(await res.json()));',
      ].join('\n');
      const tmp = await tempDir();
      await writeFile(path.join(tmp.dir, 'client.mts'), client);
      const run = await execFileAsync(
        path.join(SERVICE_ROOT, 'node_modules/.bin/tsx'),
        [path.join(tmp.dir, 'client.mts')],
        { env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(tls, 'localhost.crt') } },
      ).finally(() => tmp.remove());
      expect(JSON.parse(run.stdout)).toEqual({ secure: true });
    } finally {
      secure.closeAllConnections();
      secure.close();
    }
  });

  it('hands what it does not cover to the standard fetch', async () => {
    const res = await keepAliveFetch(new Request(`${server.url}/echo`, { method: 'DELETE' }));
    expect(((await res.json()) as { method: string }).method).toBe('DELETE');
    const data = await keepAliveFetch('data:text/plain,inline');
    expect(await data.text()).toBe('inline');
  });
});
