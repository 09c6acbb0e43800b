import { Field, FixedSizeList, Float32, Int32, Schema, Utf8 } from 'apache-arrow';
import type { DocumentSource } from '@kb/contracts';
import type { DocumentRecord, RetrievedChunk, StoredChunk } from './vector-store.js';
import { BREADCRUMB, breadcrumbOf } from '../text/breadcrumb.js';

/** A nullable text column as an optional string. */
function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Breadcrumb separator inside the indexed text; also what users see between heading levels. */

export function chunkSchema(dimensions: number): Schema {
  const fields: Field[] = [
    new Field('id', new Utf8(), false),
    new Field('docId', new Utf8(), false),
    new Field('ordinal', new Int32(), false),
    new Field('source', new Utf8(), false),
    new Field('title', new Utf8(), false),
    new Field('headingPath', new Utf8(), false),
    new Field('url', new Utf8(), false),
    new Field('text', new Utf8(), false),
    new Field('content', new Utf8(), false),
    new Field('spaceKey', new Utf8(), true),
    new Field('pageId', new Utf8(), true),
  ];
  if (dimensions > 0) {
    fields.push(
      new Field('vector', new FixedSizeList(dimensions, new Field('item', new Float32(), true)), true),
    );
  }
  return new Schema(fields);
}

export const documentSchema = new Schema([
  new Field('id', new Utf8(), false),
  new Field('source', new Utf8(), false),
  new Field('title', new Utf8(), false),
  new Field('url', new Utf8(), false),
  new Field('hash', new Utf8(), false),
  new Field('chunks', new Int32(), false),
  new Field('spaceKey', new Utf8(), true),
  new Field('pageId', new Utf8(), true),
  new Field('version', new Int32(), true),
  new Field('indexedAt', new Utf8(), false),
]);

/** The passage as a model should read it (for embeddings): its breadcrumb, then its text. */
export function indexedContent(chunk: Pick<StoredChunk, 'title' | 'headingPath' | 'text'>): string {
  return [breadcrumbOf(chunk).join(BREADCRUMB), chunk.text].join('\n');
}

/**
 * The text the lexical index sees. The breadcrumb below the title is repeated once: a single-field BM25
 * index has no field boosts, and a heading names what its section is about better than any sentence in it.
 */
export function lexicalContent(chunk: Pick<StoredChunk, 'title' | 'headingPath' | 'text'>): string {
  const headings = chunk.headingPath.filter((h) => h !== chunk.title).join(BREADCRUMB);
  return headings ? `${indexedContent(chunk)}\n${headings}` : indexedContent(chunk);
}

export function toChunkRow(chunk: StoredChunk, dimensions: number): Record<string, unknown> {
  const row: Record<string, unknown> = {
    id: chunk.id,
    docId: chunk.docId,
    ordinal: chunk.ordinal,
    source: chunk.source,
    title: chunk.title,
    headingPath: JSON.stringify(chunk.headingPath),
    url: chunk.url,
    text: chunk.text,
    content: lexicalContent(chunk),
    spaceKey: chunk.spaceKey ?? null,
    pageId: chunk.pageId ?? null,
  };
  if (dimensions > 0) {
    if (!chunk.vector || chunk.vector.length !== dimensions) {
      throw new Error(`chunk ${chunk.id} has no ${dimensions}-dimensional vector`);
    }
    row.vector = chunk.vector;
  }
  return row;
}

export const CHUNK_COLUMNS = [
  'id',
  'docId',
  'ordinal',
  'source',
  'title',
  'headingPath',
  'url',
  'text',
  'spaceKey',
  'pageId',
];

export function fromChunkRow(row: Record<string, unknown>): RetrievedChunk {
  return {
    id: String(row.id),
    docId: String(row.docId),
    ordinal: Number(row.ordinal),
    source: String(row.source) as DocumentSource,
    title: String(row.title),
    headingPath: JSON.parse(String(row.headingPath)) as string[],
    url: String(row.url),
    text: String(row.text),
    spaceKey: optionalString(row.spaceKey),
    pageId: optionalString(row.pageId),
  };
}

export function toDocumentRow(doc: DocumentRecord): Record<string, unknown> {
  return {
    id: doc.id,
    source: doc.source,
    title: doc.title,
    url: doc.url,
    hash: doc.hash,
    chunks: doc.chunks,
    spaceKey: doc.spaceKey ?? null,
    pageId: doc.pageId ?? null,
    version: doc.version ?? null,
    indexedAt: doc.indexedAt,
  };
}

export function fromDocumentRow(row: Record<string, unknown>): DocumentRecord {
  return {
    id: String(row.id),
    source: String(row.source) as DocumentSource,
    title: String(row.title),
    url: String(row.url),
    hash: String(row.hash),
    chunks: Number(row.chunks),
    spaceKey: optionalString(row.spaceKey),
    pageId: optionalString(row.pageId),
    version: typeof row.version === 'number' ? row.version : undefined,
    indexedAt: String(row.indexedAt),
  };
}
