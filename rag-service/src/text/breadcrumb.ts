/** How a passage's place is written, outermost first: `Space › Parent › Page › Section`. */
export const BREADCRUMB = ' › ';

/** Where a chunk sits, outermost first, naming its document once: `Space › Parent › Page › Section`. */
export function breadcrumbOf(chunk: { title: string; headingPath: string[] }): string[] {
  return chunk.headingPath.includes(chunk.title) ? chunk.headingPath : [chunk.title, ...chunk.headingPath];
}
