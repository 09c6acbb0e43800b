import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DocumentSource } from '@kb/contracts';
import { convertDocument } from '../convert/index.js';
import { detectFormat, FORMAT_BY_EXTENSION } from '../file-type.js';
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

/** A folder of `.md`, `.txt`, `.html` and `.pdf` files, recursively; a file's identity is its relative path. */
export class FolderSource implements DocumentSourceAdapter {
  readonly name: DocumentSource;

  constructor(private readonly options: FolderSourceOptions) {
    this.name = options.name;
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
