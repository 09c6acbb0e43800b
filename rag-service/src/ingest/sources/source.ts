import type { DocumentRecord } from '../../store/vector-store.js';
import type { DocumentSource } from '@kb/contracts';
import type { StructuredDocument } from '../structured.js';

/** A document as converted for indexing, with where a citation should point. */
export interface LoadedDocument {
  title: string;
  /** Link to the document itself; a chunk adds its heading anchor. */
  url: string;
  structured: StructuredDocument;
  /** Where the document sits, outermost first (Confluence: space, then ancestor pages). */
  breadcrumb?: string[];
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
  /**
   * Whether an indexed document falls in what the last `list` covered (say, the spaces synced), so a sync
   * of some spaces never removes another's documents. Absent: the listing covers the whole source.
   */
  covers?(record: DocumentRecord): boolean;
  /**
   * Set when an empty listing most likely means a misconfiguration (a mistyped bucket prefix): an
   * incremental sync that lists nothing where documents are indexed then stops, saying this, before
   * deleting any. Absent: an empty listing is believed (within the mass-deletion guard).
   */
  readonly emptyListingProblem?: string;
  /** Fewest indexed documents (per space) for the more-than-half deletion guard to apply (default 10). */
  readonly deletionGuardMinimum?: number;
  /** Told which listed items will be loaded, before the first load, so it can fetch them in bulk. */
  prefetch?(items: readonly SourceItem[], signal?: AbortSignal): Promise<void>;
}
