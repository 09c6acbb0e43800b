import { access, chmod, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { VectorStore } from '../store/vector-store.js';
import { FORMAT_BY_EXTENSION } from './file-type.js';
import { LOCAL_OWNER, privateFolder, UPLOAD_ID_PREFIX } from './uploads.js';

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/**
 * Uploads made before uploads had owners sit directly in the uploads folder, indexed as
 * `upload:<name>`. Whoever made them, any caller could replace them then, so no owner can be told
 * apart: they move to the local owner's folder (the operator's), and their old records go, so the
 * startup sync indexes them under `upload:local/<name>`. Run before that sync; running it again finds
 * nothing to do. The folders and files are made private on the way.
 */
export async function migrateOwnerlessUploads(dir: string, store: VectorStore, log: Logger): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await privateFolder(dir);
  const local = path.join(dir, LOCAL_OWNER);
  let moved = 0;
  for (const entry of entries) {
    const isDocument = FORMAT_BY_EXTENSION[path.extname(entry.name).toLowerCase()] !== undefined;
    if (!entry.isFile() || entry.name.startsWith('.') || !isDocument) continue;
    const from = path.join(dir, entry.name);
    const to = path.join(local, entry.name);
    if (await exists(to)) {
      // Left where it is (and indexed under its old id): which of the two to keep is the operator's call.
      log.warn({ file: from, kept: to }, 'an ownerless upload has the name of a local one; left in place');
      continue;
    }
    await privateFolder(local);
    await chmod(from, 0o600);
    await rename(from, to);
    moved++;
  }

  const ownerless = [];
  for (const record of await store.listDocuments('upload')) {
    const name = record.id.slice(UPLOAD_ID_PREFIX.length);
    if (!name.includes('/') && !(await exists(path.join(dir, name)))) ownerless.push(record.id);
  }
  await store.deleteDocuments(ownerless);
  if (moved || ownerless.length) {
    log.info(
      { moved, recordsRemoved: ownerless.length, owner: LOCAL_OWNER },
      `moved ${moved} uploads made before uploads had owners to ${local}; the startup sync indexes them there`,
    );
  }
}
