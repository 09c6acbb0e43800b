/**
 * The `cursor` of an Atlassian REST `_links.next` URL: the API says to follow it rather than compute
 * offsets. Shared by the Confluence source's listing and the access check's permission pages.
 */
export function nextCursor(next: string | undefined): string | undefined {
  if (!next) return undefined;
  return new URL(next, 'https://x.invalid').searchParams.get('cursor') ?? undefined;
}
