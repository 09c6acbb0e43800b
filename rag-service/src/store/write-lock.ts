import { readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';

/** Another live process writes this index; two writers would race (LanceDB has no unique keys). */
export class IndexLockedError extends Error {
  override readonly name = 'IndexLockedError';
}

/**
 * A killed writer whose parent never reaps it (PID 1 in many containers) lingers as a zombie: signals still
 * "reach" it, but it holds nothing any more. Linux says so in /proc; elsewhere the signal test stands alone.
 */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !zombie(pid);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One writer per embedded index: a lock file holding the writer's pid, created exclusively. A lock left by a
 * process that died (killed, crashed) is taken over; one held by a live process is refused with its pid.
 */
export class WriteLock {
  private constructor(private readonly file: string) {}

  static async acquire(file: string, purpose: string): Promise<WriteLock> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(file, 'wx');
        await handle.writeFile(
          JSON.stringify({ pid: process.pid, purpose, since: new Date().toISOString() }),
        );
        await handle.close();
        return new WriteLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      type Holder = { pid?: number; purpose?: string };
      const holder: Holder = await readFile(file, 'utf8').then(
        (text) => JSON.parse(text) as Holder,
        () => ({}),
      );
      if (holder.pid && holder.pid !== process.pid && alive(holder.pid)) {
        throw new IndexLockedError(
          `the index is being written by another process (pid ${holder.pid}, ${holder.purpose ?? 'unknown'}): ` +
            'stop the service first (a folder added with --dir is indexed by the CLI alone), or have the ' +
            'running service sync its configured sources (POST /api/v1/admin/reindex)',
        );
      }
      await rm(file, { force: true });
    }
    throw new IndexLockedError(`could not take the index lock ${file}`);
  }

  async release(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
