/**
 * Whether `id` is a UUID, the form of every id the service stores. Checked before a query: a malformed id
 * names no row, and PostgreSQL is not asked to parse it (it would answer with an error, not "none").
 */
export function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
