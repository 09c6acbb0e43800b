import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ChatResponse, Readiness } from '@kb/contracts';
import request from 'supertest';
import { HISTORY_NOT_SAVED } from '../../src/chat/chat-service.js';
import { EmbeddedDatabase } from '../../src/db/embedded.js';
import { PostgresDatabase } from '../../src/db/postgres.js';
import { startTestService } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The embedded default's own server: started, stopped, found again after a crash, and failing plainly. */
describe('the embedded PostgreSQL server', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir('kb-embedded-');
  });
  afterEach(() => tmp.remove());

  it('keeps its data across a stop and a start, and stops its server on close', async () => {
    const dir = path.join(tmp.dir, 'postgres');
    // Run as root, the server's own account must pass through the folder above the cluster.
    await chmod(tmp.dir, 0o711);
    const first = await EmbeddedDatabase.open(dir);
    await first.query('CREATE TABLE notes (text text)');
    await first.query("INSERT INTO notes VALUES ('kept')");
    await first.close();
    expect(existsSync(path.join(dir, 'postmaster.pid'))).toBe(false);

    const again = await EmbeddedDatabase.open(dir);
    try {
      expect(await again.query('SELECT text FROM notes')).toEqual([{ text: 'kept' }]);
    } finally {
      await again.close();
    }
  });

  it('reuses the server a killed service left running instead of failing to start another', async () => {
    const dir = path.join(tmp.dir, 'postgres');
    await chmod(tmp.dir, 0o711);
    const crashed = await EmbeddedDatabase.open(dir);
    await crashed.query('CREATE TABLE notes (text text)');
    // The service dies: its connections go, the server it started does not.
    await PostgresDatabase.prototype.close.call(crashed);
    expect(existsSync(path.join(dir, 'postmaster.pid'))).toBe(true);

    const next = await EmbeddedDatabase.open(dir);
    try {
      expect(await next.query("SELECT to_regclass('notes')::text AS t")).toEqual([{ t: 'notes' }]);
    } finally {
      await next.close();
    }
    expect(existsSync(path.join(dir, 'postmaster.pid'))).toBe(false);
  });

  it('starts over a postmaster.pid whose process number another process now has', async () => {
    const dir = path.join(tmp.dir, 'postgres');
    await chmod(tmp.dir, 0o711);
    const crashed = await EmbeddedDatabase.open(dir);
    await PostgresDatabase.prototype.close.call(crashed);
    const pidFile = path.join(dir, 'postmaster.pid');
    const lines = (await readFile(pidFile, 'utf8')).split('\n');
    // The server is killed too: its postmaster.pid stays behind.
    const postmaster = Number(lines[0]);
    process.kill(postmaster, 'SIGKILL');
    while (isAlive(postmaster)) await new Promise((r) => setTimeout(r, 50));
    // Its number now belongs to another process of the server's account.
    const owner = await stat(dir);
    const impostor = spawn('sleep', ['60'], { uid: owner.uid, gid: owner.gid, stdio: 'ignore' });
    try {
      lines[0] = String(impostor.pid);
      await writeFile(pidFile, lines.join('\n'));
      const next = await EmbeddedDatabase.open(dir);
      try {
        expect(await next.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      } finally {
        await next.close();
      }
    } finally {
      impostor.kill();
    }
  });

  it('fails at once, naming the folder, where the cluster cannot be made', async () => {
    // A file where the cluster's folder should be: no account can make a cluster there.
    const dir = path.join(tmp.dir, 'postgres');
    await writeFile(dir, 'not a folder');
    await expect(EmbeddedDatabase.open(dir)).rejects.toThrow(/postgres/);
  });

  it('as root, refuses a folder its postgres account cannot reach, saying how to fix it', async () => {
    // A folder made by mkdtemp is 0700: as root the server's own account cannot pass through it.
    const dir = path.join(tmp.dir, 'data', 'postgres');
    if (process.getuid?.() === 0) {
      await expect(EmbeddedDatabase.open(dir)).rejects.toThrow(/postgres account cannot reach .*chmod o\+x/);
    } else {
      // Not root: the server runs as this user, who can reach its own folder.
      const db = await EmbeddedDatabase.open(dir);
      await db.close();
    }
  });

  it('that cannot start leaves the service answering, saying history is not kept', async () => {
    // A service over a data folder where the embedded server cannot make its cluster.
    const blocked = await tempDir('kb-blocked-');
    await mkdir(path.join(blocked.dir, 'data'));
    await writeFile(path.join(blocked.dir, 'data', 'postgres'), 'not a folder');
    const service = await startTestService({ HISTORY: 'on', DATA_DIR: path.join(blocked.dir, 'data') });
    try {
      const reply = ChatResponse.parse(
        (await request(service.url).post('/api/v1/chat').send({ message: 'How do I reindex?' }).expect(200))
          .body,
      );
      expect(reply.messageId).toBeNull();
      expect(reply.answer).toContain(HISTORY_NOT_SAVED);
      const ready = Readiness.parse((await request(service.url).get('/readyz').expect(200)).body);
      expect(ready.status).toBe('degraded');
      expect(ready.checks.history?.detail).toMatch(/embedded history database could not start/);
    } finally {
      await service.close();
      await blocked.remove();
    }
  });
});
