/**
 * Raised whenever converting or chunking changes what a document's passages hold (2: captions, panels,
 * nested code, link URLs, HTML whitespace). A document's record keeps its content hash with this version,
 * so the next ordinary sync rebuilds documents indexed by an older release, without anyone asking for
 * `--full`; unchanged content under the same version is still skipped.
 */
export const CONVERSION_VERSION = 2;

/** The hash a document's record keeps: its content's hash, as converted by this version. */
export function indexedHash(contentHash: string): string {
  return `v${CONVERSION_VERSION}:${contentHash}`;
}
