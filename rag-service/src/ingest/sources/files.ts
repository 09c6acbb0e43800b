import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DocumentSource } from '@kb/contracts';
import { convertDocument } from '../convert/index.js';
import { detectFormat, FORMAT_BY_EXTENSION } from '../file-type.js';
import type { DocumentRecord } from '../../store/vector-store.js';
import type { DocumentSourceAdapter, LoadedDocument, SourceItem } from './source.js';

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Loads one file of a folder source: the bytes are checked by content, converted, and linked by path. */
export async function loadFile(
  bytes: Uint8Array,
  relPath: string,
  urlPrefix: string,
): Promise<LoadedDocument> {
  const format = detectFormat(relPath, bytes);
  const structured = await convertDocument(format, bytes, relPath);
  return { title: structured.title, url: `${urlPrefix}${relPath}`, structured };
}

async function walk(dir: string, base = dir): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && dir !== base) return [];
    throw err;
  }
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(full, base)));
    else if (entry.isFile() && FORMAT_BY_EXTENSION[path.extname(entry.name).toLowerCase()]) files.push(full);
  }
  return files;
}

export interface FolderSourceOptions {
  dir: string;
  name: DocumentSource;
  /** Prefix of document ids, e.g. `file:`; the id continues with the POSIX path relative to `dir`. */
  idPrefix: string;
  /** Prefix of citation links, e.g. `docs/`. */
  urlPrefix: string;
  /** A missing folder is an empty source (uploads) rather than an error (a mistyped DOCS_DIR). */
  optional?: boolean;
}

/** The id prefix of the first documents folder; every other folder gets one of its own (folderIdPrefix). */
export const PRIMARY_FOLDER_ID_PREFIX = 'file:';
/**
 * A folder's documents are removed by a sync only when this many or more are indexed and more than half
 * are gone: lower than a Confluence space's 10, because a folder of nine files moved away (a mistyped or
 * unmounted path) is exactly the mistake to stop.
 */
const FOLDER_GUARD_MIN_DOCUMENTS = 4;

/**
 * The id (and link) prefix of a documents folder other than the first: its name and a digest of its full
 * path, so two folders never share ids (and so never delete each other's documents) and the same folder
 * always gets the same ids, whether it comes from DOCS_DIR or from `ingest --dir`.
 */
export function folderIdPrefix(dir: string): string {
  const slug = path
    .basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .slice(0, 40);
  return `folder:${slug || 'root'}-${sha256(path.resolve(dir)).slice(0, 8)}/`;
}

/** The folder source of `dir`; `primary`: the first DOCS_DIR folder, whose ids stay `file:…` as they always were. */
export function documentsFolder(dir: string, primary: boolean): FolderSource {
  const idPrefix = primary ? PRIMARY_FOLDER_ID_PREFIX : folderIdPrefix(dir);
  return new FolderSource({
    dir,
    name: 'files',
    idPrefix,
    urlPrefix: primary ? '' : idPrefix.slice('folder:'.length),
  });
}

/** A folder of `.md`, `.txt`, `.html` and `.pdf` files, recursively; a file's identity is its relative path. */
export class FolderSource implements DocumentSourceAdapter {
  readonly name: DocumentSource;

  constructor(private readonly options: FolderSourceOptions) {
    this.name = options.name;
  }

  /** Only this folder's documents: syncing one folder never removes another's (nor an upload). */
  covers(record: DocumentRecord): boolean {
    return record.id.startsWith(this.options.idPrefix);
  }

  get emptyListingProblem(): string | undefined {
    return this.options.optional ? undefined : `the documents folder ${this.options.dir} holds no documents`;
  }

  get deletionGuardMinimum(): number | undefined {
    return this.options.optional ? undefined : FOLDER_GUARD_MIN_DOCUMENTS;
  }

  async list(): Promise<SourceItem[]> {
    const { dir, idPrefix, urlPrefix } = this.options;
    let files: string[];
    try {
      files = await walk(dir);
    } catch (err) {
      if (this.options.optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new Error(`cannot read the documents folder ${dir}: ${(err as Error).message}`);
    }
    const items: SourceItem[] = [];
    for (const file of files) {
      const relPath = path.relative(dir, file).split(path.sep).join('/');
      items.push({
        id: `${idPrefix}${relPath}`,
        // Hashing reads each file once; its bytes are read again only if it changed, so memory stays flat.
        hash: sha256(await readFile(file)),
        load: async () => loadFile(await readFile(file), relPath, urlPrefix),
      });
    }
    return items;
  }
}

/**
 * Why a documents folder cannot be synced, in an operator's words, or undefined when it can: a missing
 * folder must not look like a folder with nothing in it (every question would find nothing, quietly).
 */
export async function folderProblem(dir: string): Promise<string | undefined> {
  let info;
  try {
    info = await stat(dir);
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    return code === 'ENOENT'
      ? `the documents folder ${dir} does not exist (DOCS_DIR)`
      : `the documents folder ${dir} cannot be read: ${code ?? message}`;
  }
  if (!info.isDirectory()) return `${dir} is not a folder (DOCS_DIR)`;
  const readable = await access(dir, constants.R_OK | constants.X_OK).then(
    () => true,
    () => false,
  );
  return readable ? undefined : `the documents folder ${dir} cannot be read: permission denied`;
}
