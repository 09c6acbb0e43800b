import type { DocumentSource } from '@kb/contracts';
import type { StructuredDocument } from '../structured.js';

/** A document as converted for indexing, with where a citation should point. */
export interface LoadedDocument {
  title: string;
  /** Link to the document itself; a chunk adds its heading anchor. */
  url: string;
  structured: StructuredDocument;
  spaceKey?: string;
  pageId?: string;
  version?: number;
}

/** One entry of a source's listing: cheap to list, loaded only when it has changed. */
export interface SourceItem {
  id: string;
  /** Changes whenever the content does (a content hash, or a version number). */
  hash: string;
  load(signal?: AbortSignal): Promise<LoadedDocument>;
}

/** A place documents come from (a folder, Confluence). Listing is complete or it throws. */
export interface DocumentSourceAdapter {
  readonly name: DocumentSource;
  list(signal?: AbortSignal): Promise<SourceItem[]>;
}
